import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DIRECTIVES } from '../../mappings/check-directives.ts';
import { MAPPING_PROBLEM_CODES } from '../../mappings/mapping-problem.ts';

const readme = readFileSync(new URL('../../mappings/README.md', import.meta.url), 'utf8');

describe('mappings/README.md', () => {
  it('documents every mapping problem code', () => {
    expect(Object.keys(MAPPING_PROBLEM_CODES).filter((code) => !readme.includes(`| \`${code}\` |`))).to.deep.equal([]);
  });

  it('documents every directive with an example', () => {
    expect(DIRECTIVES.filter((d) => !readme.includes(`| \`${d}\` | \`{ "${d}"`))).to.deep.equal([]);
  });
});
