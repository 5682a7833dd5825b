/**
 * The independent OCPP 1.6J implementation the interop tests talk to: `ocpp-rpc` (CommonJS, untyped),
 * with the part of its client's API the tests use.
 */
import { createRequire } from 'node:module';

export const { RPCClient } = createRequire(import.meta.url)('ocpp-rpc') as {
  RPCClient: new (opts: Record<string, unknown>) => {
    connect(): Promise<unknown>;
    call(action: string, params: unknown): Promise<any>;
    handle(action: string, fn: (ctx: { params: any }) => unknown): void;
    close(opts?: Record<string, unknown>): Promise<unknown>;
  };
};
