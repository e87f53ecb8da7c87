export { createCrosswsServer } from './transport/crossws-server';
export type { CrosswsServer, CrosswsServerOptions } from './transport/crossws-server';
