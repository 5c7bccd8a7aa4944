import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../engine/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults: port 3000, ./data, full durability, 24 h dedupe window, no test clock', () => {
    const c = loadConfig({});
    expect(c.port).to.equal(3000);
    expect(c.dataDir).to.equal('./data');
    expect(c.sqliteSynchronous).to.equal('full');
    expect(c.dedupeWindowMs).to.equal(24 * 3_600_000);
    expect(c.testClock).to.equal(false);
    expect(Object.isFrozen(c)).to.equal(true);
  });

  it('reads PORT, DATA_DIR (":memory:" allowed) and the bootstrap credentials', () => {
    const c = loadConfig({ PORT: '8080', DATA_DIR: ':memory:', ENGINE_WRITE_KEY: 'wk_0123456789abcdef', ENGINE_ADMIN_TOKEN: 'adm_0123456789abcdef' });
    expect(c.port).to.equal(8080);
    expect(c.dataDir).to.equal(':memory:');
    expect(c.bootstrap.writeKey).to.equal('wk_0123456789abcdef');
    expect(c.bootstrap.adminToken).to.equal('adm_0123456789abcdef');
  });

  it('keeps events 30 days and activity 90 by default; 0 keeps them forever', () => {
    expect(loadConfig({}).retention).to.deep.equal({ eventDays: 30, activityDays: 90 });
    expect(loadConfig({ EVENT_RETENTION_DAYS: '0', ACTIVITY_RETENTION_DAYS: '365' }).retention).to.deep.equal({ eventDays: 0, activityDays: 365 });
    expect(() => loadConfig({ EVENT_RETENTION_DAYS: '-1' })).to.throw(ConfigError, /EVENT_RETENTION_DAYS/);
    expect(() => loadConfig({ ACTIVITY_RETENTION_DAYS: 'forever' })).to.throw(ConfigError, /ACTIVITY_RETENTION_DAYS/);
  });

  it('maps no part of the SQLite file by default; SQLITE_MMAP_MB sets how much, in MiB', () => {
    expect(loadConfig({}).sqliteMmapBytes).to.equal(0);
    expect(loadConfig({ SQLITE_MMAP_MB: '2047' }).sqliteMmapBytes).to.equal(2047 * 1024 * 1024);
    expect(() => loadConfig({ SQLITE_MMAP_MB: '4096' }), 'more than SQLite maps').to.throw(ConfigError, /SQLITE_MMAP_MB must be an integer between 0 and 2047, got '4096'/);
    expect(() => loadConfig({ SQLITE_MMAP_MB: '-1' })).to.throw(ConfigError, /SQLITE_MMAP_MB must be an integer between 0 and/);
    expect(() => loadConfig({ SQLITE_MMAP_MB: '2GB' })).to.throw(ConfigError, /SQLITE_MMAP_MB.*'2GB'/);
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ SQLITE_SYNCHRONOUS: 'off' })).to.throw(ConfigError, /SQLITE_SYNCHRONOUS/);
    expect(() => loadConfig({ ENGINE_WRITE_KEY: 'short' })).to.throw(ConfigError, /ENGINE_WRITE_KEY/);
    expect(() => loadConfig({ LOG_LEVEL: 'chatty' })).to.throw(ConfigError, /LOG_LEVEL/);
    // A connection string without its scheme stopped the engine with the driver's stack trace (found by a README walk).
    for (const uri of ['notauri', 'localhost:27017', 'http://127.0.0.1:27017', 'mongodb://']) {
      expect(() => loadConfig({ MONGODB_URI: uri }), uri).to.throw(ConfigError, /MONGODB_URI/);
    }
    expect(loadConfig({ MONGODB_URI: 'mongodb://127.0.0.1:27017/journeys' }).mongodbUri).to.equal('mongodb://127.0.0.1:27017/journeys');
    expect(loadConfig({ MONGODB_URI: 'mongodb+srv://cluster0.example.net/db' }).mongodbUri).to.equal('mongodb+srv://cluster0.example.net/db');
  });

  it('enables the test clock only with ENGINE_TEST_CLOCK=1, and never in production', () => {
    expect(loadConfig({ ENGINE_TEST_CLOCK: '1' }).testClock).to.equal(true);
    expect(() => loadConfig({ ENGINE_TEST_CLOCK: 'yes' })).to.throw(ConfigError, /ENGINE_TEST_CLOCK/);
    expect(() => loadConfig({ ENGINE_TEST_CLOCK: '1', NODE_ENV: 'production' })).to.throw(ConfigError, /production/);
  });
});
