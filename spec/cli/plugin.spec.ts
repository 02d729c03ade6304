/**
 * The plugins as Meltano and a shell find them: every bin built executable and runnable by name from PATH (what
 * `npm install -g` and `npm link` set up), and a Meltano plugin definition per plugin whose settings are exactly
 * those of the config schema.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { settingsJsonSchema } from '../../src/config/sources.js';
import { definitionPath, definitionYaml, PLUGINS } from '../../scripts/meltano-definitions.js';
import { repoRoot } from '../support/cli.js';
import { meltanoPluginDefinition } from '../support/meltano-plugin.js';
import { tempDir } from '../support/tmp.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

interface MeltanoSetting {
  name: string;
  kind: string;
  description: string;
  sensitive?: boolean;
}

interface MeltanoDefinition {
  name: string;
  namespace: string;
  executable: string;
  capabilities: string[];
  settings: MeltanoSetting[];
}

describe('the plugins as installed', () => {
  it('builds every bin executable, with a node shebang, runnable by name from PATH', () => {
    const bin = tempDir('bin');
    for (const [name, file] of Object.entries(pkg.bin)) {
      const path = join(repoRoot, file);
      expect(statSync(path).mode & 0o111, `${file} is executable`).to.equal(0o111);
      expect(readFileSync(path, 'utf8')).to.match(/^#!\/usr\/bin\/env node\n/);
      symlinkSync(path, join(bin, name)); // what npm link and npm install -g do
    }
    for (const name of ['target-listrak-sms', 'listrak-sftp-export']) {
      const res = spawnSync(name, ['--version'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
      expect(res.status, res.stderr).to.equal(0);
      expect(res.stdout.trim()).to.equal(`${name} ${pkg.version}`);
    }
  });

  for (const plugin of PLUGINS) {
    describe(`Meltano definition of ${plugin.name}`, () => {
      const text = readFileSync(definitionPath(plugin), 'utf8');
      const def = parse(text) as MeltanoDefinition;
      const schema = settingsJsonSchema(plugin.schema);

      it('lists every setting of the config schema, and only those, with its kind, description and sensitivity', () => {
        expect(def.settings.map((s) => s.name).sort()).to.deep.equal(Object.keys(schema.properties).sort());
        for (const s of def.settings) {
          const p = schema.properties[s.name];
          expect(s.description, s.name).to.equal(p?.type === 'number' ? `${p.description} (a number, given as text: "0.2")` : p?.description).and.not.equal(undefined);
          if (p?.type === 'number') expect(s.kind, `${s.name}: a fraction goes as text, never decimal`).to.equal('string');
          expect(s.sensitive === true, `${s.name} sensitive`).to.equal(p?.secret === true);
        }
        expect(def.settings.filter((s) => s.sensitive).length, 'secrets marked').to.be.above(0);
        expect(def.capabilities).to.deep.equal([...plugin.capabilities]);
        expect(def.namespace).to.match(/^[a-z_]+$/);
      });

      it('parses as a Meltano plugin definition, with no kind Meltano cannot pass on from the environment', () => {
        const parsed = meltanoPluginDefinition.safeParse(def);
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).to.equal(true);
      });

      it('names an executable the package installs, and is what the schema generates (make meltano)', () => {
        expect(Object.keys(pkg.bin)).to.include(def.executable);
        expect(text, `${definitionPath(plugin)} is out of date: run make meltano`).to.equal(definitionYaml(plugin));
      });
    });
  }
});
