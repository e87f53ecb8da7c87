// serve.ts
import { plugin as ws } from 'crossws/server';
import { serve } from 'h3';
import { app } from './routes';

// Without the crossws plugin, h3 answers every WebSocket upgrade with 426.
const server = serve(app, { port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? '127.0.0.1', plugins: [ws({})], silent: true });
await server.ready();
console.log(`listening on ${server.url}`);
