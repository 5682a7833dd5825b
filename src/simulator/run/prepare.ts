/** Setup: start or find the target, read its configuration, provision chargers and customers, connect the watchers. */
import { AdminWatcher } from '../admin.ts';
import { Adversary } from '../adversary.ts';
import { createChaos, chaosUnsupported } from '../chaos.ts';
import { createFleetShared, SimCharger } from '../charger.ts';
import { SimCustomer } from '../customer.ts';
import { adminLogin, findCmsUrl, inBatches, provisionChargers, provisionCustomers, readRemoteConfig } from '../setup.ts';
import { startTarget } from '../target.ts';
import { endLoad, type RunFailure, type RunState } from './state.ts';

/** Target, provisioning, customers and watchers; returns a failure instead of throwing for the expected ones. */
export async function prepare(run: RunState): Promise<RunFailure | null> {
  const { scenario, opts, log, ctx, chargers, customers, adversaries, admins } = run;
  let target;
  try {
    target = await startTarget(run.targetSpec, { artifactDir: opts.artifactDir, log });
  } catch (error) {
    return { code: 3, reason: `the embedded CSMS did not start: ${(error as Error).message}` };
  }
  run.target = target;
  target.onFailure((why) => {
    run.targetFailed = true;
    log(why);
    endLoad(run, 3, why);
  });
  ctx.httpUrl = target.httpUrl;
  ctx.ocppUrls = target.ocppUrls;
  ctx.rest.setBaseUrl(target.httpUrl);
  log(`target: ${target.kind} ${target.httpUrl} ${target.ocppUrls.join(', ')}${target.ocppUrls.length > 1 ? ' (failover order)' : ''}`);
  ctx.cmsUrl = await findCmsUrl(target.httpUrl);
  if (ctx.cmsUrl) log(`web CMS ${ctx.cmsUrl}${target.kind === 'embedded' ? ` (admin ${target.admin.email} / ${target.admin.password})` : ''}, customer panel ${target.httpUrl}/app/`);
  if (target.kind === 'embedded') {
    // A person watching the demo can use the embedded CSMS while it runs.
    log(`  REST API ${target.httpUrl}/api, OpenAPI ${target.httpUrl}/docs`);
  }
  let remote;
  try {
    remote = await readRemoteConfig(ctx.rest);
  } catch (error) {
    return { code: 3, reason: `target unreachable: ${(error as Error).message}` };
  }
  // The CSMS's own mode: an embedded one is as configured; a remote one pushes over Socket.io only with RabbitMQ.
  const mode = target.kind === 'embedded' ? (target.rabbitmq ? 'rabbitmq' : 'embedded') : remote.realtime === 'socket.io' ? 'rabbitmq' : 'embedded';
  run.mode = mode;
  for (const action of scenario.chaos) {
    const why = chaosUnsupported(action, target, mode);
    if (why) return { code: 2, reason: `chaos: ${why}` };
    if (action.action === 'rabbitmq-outage' && target.rabbitmq && !target.rabbitmq.node && (!action.onlyMode || action.onlyMode === mode)) {
      log('chaos: rabbitmq-outage will stop the shared RabbitMQ node: every other client of it loses its broker too (csms.broker: private avoids that)');
    }
  }
  ctx.realtime = scenario.customers.realtime === 'auto' ? remote.realtime : scenario.customers.realtime;
  ctx.pollIntervalsMs = remote.pollIntervalsMs;
  if (ctx.realtime === 'socket.io' && remote.realtime !== 'socket.io') {
    return { code: 3, reason: 'customers.realtime is socket.io but the target polls (ENABLE_RABBITMQ=false): it has no Socket.io' };
  }
  if (scenario.customers.count > 0 && scenario.customers.topUps && !remote.walletSelfTopup) {
    return { code: 3, reason: 'customers.topUps: the target lets no customer add money without paying (WALLET_SELF_TOPUP=false; target.csms.walletSelfTopup for an embedded one)' };
  }
  const adminToken = await adminLogin(ctx.rest, target.admin);
  const provisioned = await provisionChargers(ctx.rest, adminToken, scenario);
  const shared = createFleetShared(ctx);
  provisioned.forEach((p, i) => {
    const charger = new SimCharger(i, p.id, p.tpl, p.password, ctx, shared);
    const station = scenario.setup.stations.find((s) => s.name === (p.tpl.station ?? scenario.setup.stations[0].name))!;
    ctx.sites.join(charger, station.name, station.gridLimitW);
    chargers.push(charger);
  });
  log(`setup: ${chargers.length} charge points registered`);
  const credit = remote.walletSelfTopup ? 'self' : 'admin';
  const accounts = await provisionCustomers(ctx.rest, adminToken, scenario.customers.count, scenario.customers.register, scenario.customers.initialBalance, 'customer', credit);
  // provisionCustomers throws unless every opening top-up was confirmed.
  if (scenario.customers.initialBalance > 0) for (const a of accounts) ctx.ledger.toppedUp(a.email, scenario.customers.initialBalance);
  for (const a of accounts) {
    const cu = new SimCustomer(a, ctx, scenario.customers, chargers);
    customers.push(cu);
    ctx.ownersByIdTag.set(a.idTag, cu);
  }
  if (ctx.cmsUrl && accounts.length > 0) log(`  customer panel: sign in as ${accounts[0].email} / ${accounts[0].password} to watch that customer's sessions`);
  const hostile = await provisionCustomers(ctx.rest, adminToken, scenario.adversarial.count, 'self', 0, 'adversary');
  for (const a of hostile) adversaries.push(new Adversary(a, ctx, customers, scenario.adversarial.interval));
  for (let i = 0; i < scenario.admins.count; i++) admins.push(new AdminWatcher(adminToken, ctx));
  log(`setup: ${customers.length} customers, ${adversaries.length} adversaries, ${admins.length} admins; realtime ${ctx.realtime}`);
  try {
    await inBatches(customers, 32, (cu) => cu.connect());
    await inBatches(adversaries, 32, (a) => a.connect());
    await inBatches(admins, 8, (a) => a.connect());
  } catch (error) {
    return { code: 3, reason: `customers could not connect: ${(error as Error).message}` };
  }
  run.chaos = createChaos(ctx, chargers, target, mode);
  return null;
}
