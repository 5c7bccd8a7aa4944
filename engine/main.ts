/** Process entry point: reads the configuration, starts the engine, prints how to reach it, stops on signals. */
import { ConfigError, loadConfig } from './config.ts';
import { startEngine } from './engine.ts';

try {
  const config = loadConfig();
  const engine = await startEngine(config);
  const c = engine.credentials;
  const shown = (secret: string | null) => secret ?? '(kept hashed; rotate it with the admin API to get a new one)';
  engine.logger.info('engine started', { url: engine.url, store: engine.store.kind, dataDir: config.dataDir });
  process.stdout.write([
    '',
    `Journey engine listening on ${engine.url}`,
    `  store:           ${engine.store.kind} (${config.mongodbUri ? withoutPassword(config.mongodbUri) : config.dataDir})`,
    `  space:           ${c.spaceId}`,
    `  write key:       ${shown(c.writeKey)}`,
    `  admin token:     ${shown(c.adminToken)}`,
    `  operator token:  ${c.operatorToken}`,
    '',
  ].join('\n') + '\n');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    engine.logger.info('stopping', { signal });
    engine.close().then(() => process.exit(0), (error: unknown) => {
      engine.logger.error('stop failed', { error });
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

/** A connection string fit to print: its password masked. */
function withoutPassword(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'mongodb';
  }
}
