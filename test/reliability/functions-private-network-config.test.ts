/**
 * FUNCTIONS_ALLOW_PRIVATE_NETWORK (README "Configuration": default `false`; lets functions'
 * `fetch` reach private, loopback and link-local addresses, for local development and tests only)
 * is read from the environment by the config module as DESTINATIONS_ALLOW_PRIVATE_NETWORK is
 * (test/security/destination-ssrf.test.ts): off unless set, on with 1 or true, off with 0 or false,
 * and any other value refused at start with an error naming the variable. The two flags are
 * independent: one never turns the other on.
 */
import { expect } from 'chai';
import { ConfigError, loadConfig, testConfig } from '../../engine/config.ts';

const NAME = 'FUNCTIONS_ALLOW_PRIVATE_NETWORK';

describe('reliability: FUNCTIONS_ALLOW_PRIVATE_NETWORK from the environment', () => {
  it('is off by default: unset or empty', () => {
    expect(loadConfig({}).functions.allowPrivateNetwork).to.equal(false);
    expect(loadConfig({ [NAME]: '' }).functions.allowPrivateNetwork).to.equal(false);
  });

  it('is on with 1 or true, off with 0 or false', () => {
    expect(loadConfig({ [NAME]: '1' }).functions.allowPrivateNetwork).to.equal(true);
    expect(loadConfig({ [NAME]: 'true' }).functions.allowPrivateNetwork).to.equal(true);
    expect(loadConfig({ [NAME]: '0' }).functions.allowPrivateNetwork).to.equal(false);
    expect(loadConfig({ [NAME]: 'false' }).functions.allowPrivateNetwork).to.equal(false);
  });

  it('refuses any other value with a ConfigError naming the variable, the accepted values and the value given', () => {
    for (const bad of ['yes', 'on', '2', 'enabled', ' 1']) {
      expect(() => loadConfig({ [NAME]: bad }), JSON.stringify(bad)).to.throw(ConfigError, NAME);
    }
    expect(() => loadConfig({ [NAME]: 'yes' })).to.throw(ConfigError, `${NAME} must be 1, true, 0 or false, got 'yes'`);
  });

  it('accepts exactly the spellings DESTINATIONS_ALLOW_PRIVATE_NETWORK accepts, with the same answer', () => {
    for (const value of ['', '0', '1', 'true', 'false']) {
      expect(loadConfig({ [NAME]: value }).functions.allowPrivateNetwork, JSON.stringify(value))
        .to.equal(loadConfig({ DESTINATIONS_ALLOW_PRIVATE_NETWORK: value }).destinations.allowPrivateNetwork);
    }
    for (const value of ['yes', 'TRUE', 'off']) {
      expect(() => loadConfig({ [NAME]: value }), JSON.stringify(value)).to.throw(ConfigError);
      expect(() => loadConfig({ DESTINATIONS_ALLOW_PRIVATE_NETWORK: value }), JSON.stringify(value)).to.throw(ConfigError);
    }
  });

  it('is independent of DESTINATIONS_ALLOW_PRIVATE_NETWORK, both ways', () => {
    const destinationsOnly = loadConfig({ DESTINATIONS_ALLOW_PRIVATE_NETWORK: '1' });
    expect(destinationsOnly.functions.allowPrivateNetwork).to.equal(false);
    expect(destinationsOnly.destinations.allowPrivateNetwork).to.equal(true);
    const functionsOnly = loadConfig({ [NAME]: '1' });
    expect(functionsOnly.functions.allowPrivateNetwork).to.equal(true);
    expect(functionsOnly.destinations.allowPrivateNetwork).to.equal(false);
  });

  it('leaves the other function settings at their defaults and the section frozen; testConfig() keeps it off', () => {
    const on = loadConfig({ [NAME]: 'true' }).functions;
    const { allowPrivateNetwork: _on, ...rest } = on;
    const { allowPrivateNetwork: _off, ...defaults } = loadConfig({}).functions;
    expect(rest).to.deep.equal(defaults);
    expect(Object.isFrozen(on)).to.equal(true);
    // Tests that need functions to reach a local server say so (test/security/secrets.test.ts).
    expect(testConfig().functions.allowPrivateNetwork).to.equal(false);
  });
});
