/** Teardown: timers cleared, every actor closed, chaos undone, the target closed; it never throws. */
import type { RunState } from './state.ts';

/** Closes what the run opened, whatever phase it stopped in. */
export async function teardown(run: RunState): Promise<void> {
  const { log } = run;
  for (const t of run.chaosTimers) clearTimeout(t);
  run.scheduler.clear();
  for (const ch of run.chargers) ch.shutdown();
  for (const cu of run.customers) cu.close();
  for (const a of run.adversaries) a.close();
  for (const a of run.admins) a.close();
  await run.chaos?.restore().catch((error) => log(`chaos restore failed: ${(error as Error).message}`));
  await run.target?.close().catch((error) => log(`closing the target failed: ${(error as Error).message}`));
}
