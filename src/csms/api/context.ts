/**
 * What createApi needs from the composition root, and what every route plugin gets from createApi.
 */
import type { FastifyBaseLogger, onRequestHookHandler } from 'fastify';
import type { CsmsConfig } from '../config.ts';
import type { Charging } from '../domain/charging.ts';
import type { Reservations } from '../domain/reservations.ts';
import type { Broker, Clock, CommandSender, PaymentProvider, Store } from '../domain/ports.ts';
import type { Wallet } from '../domain/wallet.ts';
import type { Etags } from './etag.ts';
import type { FileStore } from './file-store.ts';
import type { Publish } from './outcomes.ts';
import type { WebAssets } from './routes/web.ts';

/** The adapters and services the REST API is built on; server.ts wires them. */
export interface ApiDeps {
  config: CsmsConfig;
  store: Store;
  charging: Charging;
  /** ReserveNow and CancelReservation for drivers and admins (domain/reservations.ts). */
  reservations: Reservations;
  commands: CommandSender;
  broker: Broker;
  clock: Clock;
  /** A pino logger to use, or false for none (the default). */
  logger?: FastifyBaseLogger | false;
  readiness(): Promise<{ database: boolean; broker: { ok: boolean; detail: string } }>;
  /** The store /ready names beside its health. */
  storeInfo: { kind: 'sqlite' | 'postgres'; location: string };
  /** The bundled web pages (/app/, /cms/); absent: the API serves none. */
  web?: WebAssets;
  /** The payment provider customers pay through; absent or null: checkout is refused. */
  payments?: PaymentProvider | null;
  /** Payments and admins' wallet entries (domain/wallet.ts), built on the same store, clock and provider. */
  wallet: Wallet;
  /** Firmware images and diagnostics uploads on disk (started by server.ts). */
  files: FileStore;
  /** Called after a customer.* notification (a customer or a card changed): the local lists follow at once. */
  onCustomersChanged?: () => void;
}

/** Passed to each route plugin as its options. */
export interface ApiContext extends ApiDeps {
  publish: Publish;
  etags: Etags;
  /** onRequest hooks: a valid token of a customer / of an admin. */
  customerOnly: onRequestHookHandler;
  adminOnly: onRequestHookHandler;
  now(): string;
}
