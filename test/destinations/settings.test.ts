import { expect } from 'chai';
import { formApiPlugin } from '../../destinations/builtin/form-api/form-api-destination.ts';
import { PluginRegistry } from '../../destinations/plugin-registry.ts';
import type { Plugin } from '../../destinations/plugin.ts';
import { mergeSettings, redactSettings, SECRET_MARKER, secretSettingKeys, validateSettings } from '../../destinations/settings.ts';

describe('destination settings', () => {
  let formApi: Plugin;
  let choosy: Plugin;
  before(async () => {
    const registry = new PluginRegistry({ catalog: false, builtins: [formApiPlugin] });
    formApi = await registry.get('form-api');
    choosy = registry.register({
      slug: 'choosy', version: '1',
      definition: {
        name: 'Choosy', mode: 'cloud', actions: { noop: { title: 'Noop', description: '', fields: {}, perform: () => undefined } },
        authentication: {
          scheme: 'custom',
          fields: {
            region: { label: 'Region', description: '', type: 'string', choices: [{ value: 'us', label: 'US' }, { value: 'eu', label: 'EU' }], required: true },
            batchSize: { label: 'Batch size', description: '', type: 'number' },
            verbose: { label: 'Verbose', description: '', type: 'boolean' },
          },
        },
      },
    }, 'local');
  });

  it('accepts valid settings', () => {
    expect(validateSettings(formApi, { baseUrl: 'https://forms.example.com', apiToken: 't' })).to.deep.equal([]);
  });

  it('reports every problem at once, each with its settings path', () => {
    const problems = validateSettings(formApi, { baseUrl: 'not a url', authTestUrl: 42, colour: 'red' });
    expect(problems).to.deep.include.members([
      { path: 'settings.apiToken', code: 'required', message: '"apiToken" is required' },
      { path: 'settings.colour', code: 'unknown_setting', message: '"colour" is not a setting of this destination' },
    ]);
    expect(problems.find((p) => p.path === 'settings.baseUrl')?.code).to.equal('invalid_format');
    expect(problems.find((p) => p.path === 'settings.authTestUrl')?.code).to.equal('invalid_type');
    expect(problems).to.have.length(4);
  });

  it('reports wrong choices and types without coercing them', () => {
    const problems = validateSettings(choosy, { region: 'mars', batchSize: '10', verbose: 'yes' });
    expect(problems.map((p) => [p.path, p.code])).to.have.deep.members([
      ['settings.region', 'invalid_choice'], ['settings.batchSize', 'invalid_type'], ['settings.verbose', 'invalid_type'],
    ]);
  });

  it('treats an empty required secret as missing and rejects non-objects', () => {
    expect(validateSettings(formApi, { baseUrl: 'https://x.example.com', apiToken: '' }))
      .to.deep.equal([{ path: 'settings.apiToken', code: 'required', message: '"apiToken" is required and must not be empty' }]);
    expect(validateSettings(formApi, ['x'])[0]).to.include({ path: 'settings', code: 'invalid_type' });
  });

  it('redacts secret (password) settings with a marker and leaves the others', () => {
    expect(secretSettingKeys(formApi)).to.deep.equal(['apiToken']);
    const redacted = redactSettings(formApi, { baseUrl: 'https://x.example.com', apiToken: 'tok-123' });
    expect(redacted).to.deep.equal({ baseUrl: 'https://x.example.com', apiToken: SECRET_MARKER });
    expect(JSON.stringify(redacted)).not.to.include('tok-123');
  });

  it('keeps a stored secret when an update omits it or sends the marker back', () => {
    const stored = { baseUrl: 'https://old.example.com', apiToken: 'tok-123' };
    expect(mergeSettings(formApi, stored, { baseUrl: 'https://new.example.com' }))
      .to.deep.equal({ baseUrl: 'https://new.example.com', apiToken: 'tok-123' });
    expect(mergeSettings(formApi, stored, { baseUrl: 'https://new.example.com', apiToken: SECRET_MARKER }))
      .to.deep.equal({ baseUrl: 'https://new.example.com', apiToken: 'tok-123' });
  });

  it('replaces a secret when a new value is sent and clears it on null', () => {
    const stored = { baseUrl: 'https://x.example.com', apiToken: 'tok-123' };
    expect(mergeSettings(formApi, stored, { ...stored, apiToken: 'tok-456' }).apiToken).to.equal('tok-456');
    expect(mergeSettings(formApi, stored, { baseUrl: 'https://x.example.com', apiToken: null })).to.deep.equal({ baseUrl: 'https://x.example.com' });
  });
});
