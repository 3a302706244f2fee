// The demo server: `node apps/demo/dist/server/main.js` (npm start runs it). See demo-server.ts.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@switchboard/platform';
import { loadConfig } from './config.js';
import { createDemoServer } from './demo-server.js';

const config = loadConfig(process.env);
const logger = createLogger({ service: 'demo', level: config.logLevel, nodeId: `demo-${process.pid}`, production: config.production });
const staticDir = resolve(config.staticDir ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'web'));
const server = createDemoServer(config, staticDir, logger);
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ url: `http://${config.host}:${port}/`, devTokens: config.devTokens !== null, servers: config.servers }, 'demo server listening');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
