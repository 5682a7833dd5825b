// The OCPP-J 1.6 layer: codec, error codes, schema validation, typed messages and an RPC connection
// over `ws`. Shared by the CSMS gateway and the simulator; it knows neither.
export * from './errors.ts';
export * from './frames.ts';
export * from './messages.ts';
export * from './validator.ts';
export * from './connection-types.ts';
export { createOcppConnection, createMessageId } from './connection.ts';
export { connectOcpp, chargePointUrl, basicAuthHeader, type ConnectOcppOptions } from './client.ts';
export * from './builders.ts';
