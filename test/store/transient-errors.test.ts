/**
 * Which store errors are passing conditions (a lock, a lost connection, a failover), and what the
 * API answers for them: 503 `store_unavailable` with Retry-After (Segment clients retry it),
 * never a 500, while other unexpected errors stay 500s without internals.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import { isTransientSqliteError } from '../../engine/store/sqlite/is-transient-error.ts';
import { isTransientMongoError } from '../../engine/store/mongodb/is-transient-error.ts';
import { sendError, toEngineError } from '../../engine/http/send-json.ts';

const sqliteError = (code: string) => Object.assign(new Error(code), { code });

describe('transient store errors', () => {
  it('SQLite: a busy or locked database is transient; a constraint or a bug is not', () => {
    expect(isTransientSqliteError(sqliteError('SQLITE_BUSY'))).to.equal(true);
    expect(isTransientSqliteError(sqliteError('SQLITE_BUSY_SNAPSHOT'))).to.equal(true);
    expect(isTransientSqliteError(sqliteError('SQLITE_LOCKED'))).to.equal(true);
    expect(isTransientSqliteError(sqliteError('SQLITE_CONSTRAINT_UNIQUE'))).to.equal(false);
    expect(isTransientSqliteError(new TypeError('x is undefined'))).to.equal(false);
    expect(isTransientSqliteError('SQLITE_BUSY')).to.equal(false);
  });

  it('MongoDB: a lost connection, a primary stepping down, a retryable write and FerretDB\'s lock are transient; a duplicate key is not', () => {
    expect(isTransientMongoError(new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'))).to.equal(true);
    expect(isTransientMongoError(new MongoServerError({ code: 10107, errmsg: 'not primary' }))).to.equal(true);
    expect(isTransientMongoError(new MongoServerError({ code: 11602, errmsg: 'InterruptedDueToReplStateChange' }))).to.equal(true);
    expect(isTransientMongoError(new MongoServerError({ code: 1, errmsg: 'database is locked (5) (SQLITE_BUSY)' }))).to.equal(true);
    expect(isTransientMongoError(new MongoServerError({ code: 1, errmsg: 'some other internal error' }))).to.equal(false);
    expect(isTransientMongoError(new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key error' }))).to.equal(false);
    expect(isTransientMongoError(new Error('plain'))).to.equal(false);
  });

  it('answers a transient store error with 503 store_unavailable and Retry-After, anything else unexpected with a bare 500', async () => {
    const server = http.createServer((req, res) => {
      const error = req.url === '/busy' ? sqliteError('SQLITE_BUSY') : new Error('secret internals');
      sendError(res, toEngineError(error, isTransientSqliteError));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const busy = await fetch(`${base}/busy`);
      expect(busy.status).to.equal(503);
      expect(busy.headers.get('retry-after')).to.equal('1');
      expect((await busy.json()).error.code).to.equal('store_unavailable');
      const broken = await fetch(`${base}/broken`);
      expect(broken.status).to.equal(500);
      expect(broken.headers.get('retry-after')).to.equal(null);
      const body = await broken.text();
      expect(JSON.parse(body).error.code).to.equal('internal_error');
      expect(body).to.not.include('secret internals');
    } finally {
      server.close();
    }
  });
});
