/** The commented scenario `ev-sim init` writes: every section, with the defaults spelled out. */
export function exampleScenario(): string {
  return `# Editor completion: point your YAML extension at scenarios/schema.json of ev-csms.
# An ev-sim scenario. Durations: a number of seconds or 500ms / 8s / 2m / 1h. Ranges: one duration or [min, max].
name: smoke
seed: 42                      # same seed, same choices (chargers, connectors, timings)
duration: 60s                 # ramp-up + hold; ramp-down and draining follow

target:
  kind: embedded              # ev-sim starts the CSMS (ephemeral ports, temporary database)
  csms:
    rabbitmq: false           # true: RabbitMQ pipeline + Socket.io (needs a broker); false: pages poll
    broker: shared            # shared: the broker at rabbitmqUrl; private: a RabbitMQ node for this run only
    process: in-process       # in-process | child (ev-csms serve as a child process: restart-csms can kill -9 it)
    walletSelfTopup: true     # customers add money themselves (false: the admin credits their opening balance)
# target:                     # or a CSMS that is already running:
#   kind: remote
#   httpUrl: http://localhost:3000
#   ocppUrl: ws://localhost:9000/ocpp   # or a list, the failover order: [ws://a:9000/ocpp, ws://b:9000/ocpp]
#   admin: { email: admin@ev-csms.local, password: change-me }

setup:                        # provisioned over the CMS REST API before the run
  stations:
    - name: Sim Station
  tariffs:
    - { name: Standard, currency: EUR, pricePerKwh: 30, pricePerMinute: 0, sessionFee: 0 }

chargers:
  - idPattern: SIM-{0000}     # SIM-0001, SIM-0002, ...
    count: 20
    connectors: 2
    powerKw: [11, 22]         # picked per session
    heartbeatInterval: 60s
    meterValues:
      interval: 10s
      measurands: [Energy.Active.Import.Register, Power.Active.Import]
    station: Sim Station
    tariff: Standard
    basicAuth: false          # true: a generated AuthorizationKey, sent as HTTP Basic
    faults:
      disconnectPerMinute: 0  # chance per charger and minute of a dropped connection
      reconnect: { initial: 1s, max: 30s, jitter: 0.3 }
      malformedFramesPerMinute: 0   # broken frames on purpose (expected errors)
      connectorFaultsPerMinute: 0   # an idle connector reports Faulted (GroundFailure, …) …
      faultDuration: 30s            # … and Available again after this long
      rebootLosesTransactions: 0    # share of chargers that forget open transactions at a reboot
    configuration:              # OCPP keys it starts with (E2 §9.1); the CSMS reads and changes them
      TransactionMessageAttempts: 3       # sends of a transaction message that fail before it is dropped
      TransactionMessageRetryInterval: 60 # seconds; the wait is this times the attempt number

customers:
  count: 10
  realtime: auto              # auto (as GET /api/config says) | socket.io | polling
  register: self              # self (/api/user/register) | cms (/api/cms/customers)
  initialBalance: 10000       # minor units
  sessions:
    mix: { app: 1, rfid: 1 }  # started from the app (REST) or by RFID at the charger
    interval: [2s, 5s]        # idle time before each session
    duration: [10s, 30s]
  # topUps: { interval: [20s, 40s], amount: 1000 }

adversarial: { count: 1, interval: 2s }   # try to join other customers' rooms
admins: { count: 1 }                      # watch cms:points, measure status latency

phases:
  rampUp: { rate: 50 }        # charger connections per second
  rampDown: { rate: 200 }

# chaos:                      # runs only when listed
#   - { at: 20s, action: disconnect, share: 0.2 }
#   - { at: 30s, action: reconnect-storm, share: 0.5 }
#   - { at: 40s, action: restart-csms, downtime: 2s }   # signal: TERM (graceful) | KILL (needs process: child)
#   - { at: 50s, action: rabbitmq-outage, duration: 5s }   # embedded + rabbitmq; use broker: private
#   - { at: 52s, action: restart-csms, signal: KILL, onlyMode: rabbitmq }   # onlyMode: skipped in the other mode
#   - { at: 55s, action: reboot, share: 0.1, downtime: 5s } # power loss; chargers mid-session first
#   - { at: 58s, action: end-sessions, share: 0.5 }         # drivers end half the running sessions at once

notifications: { lossDeadline: 10s }      # an expected notification later than this is lost
generator: { maxEventLoopP99: 100ms, maxCpuPct: 98, sustain: 5s }

thresholds:
  - ocpp.StartTransaction.p99 < 200ms
  - notify.meter.values.p99 < 2s
  - rest.POST /api/user/charging/start.p95 < 300ms
  - isolation.leaks == 0
  - notifications.lost == 0
  - errors.unexpected == 0
  - ocpp.acked_lost == 0      # checked at the end through the admin API (see Reconciliation)
  - sessions.stuck == 0
  - billing.mismatches == 0
`;
}
