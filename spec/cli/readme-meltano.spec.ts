/**
 * The README's Meltano section holds: its commands are Meltano 4's forms and name definition files that exist, and
 * its complete meltano.yml configures each plugin with settings its definition declares, in a config the plugin
 * accepts, with the audience stream replicated FULL_TABLE by the extractor the target's task reads from.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { meltanoDefinition, PLUGINS } from '../../scripts/meltano-definitions.js';
import { parseExportConfig } from '../../src/config/export.js';
import { parseTargetConfig } from '../../src/config/target.js';
import { repoRoot } from '../support/cli.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### As a Meltano loader'), readme.indexOf('## Configuration'));

/** The fenced blocks of one language in the Meltano section. */
const blocks = (lang: string) => [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

interface Project {
  plugins: {
    extractors: { name: string; inherit_from?: string; select?: string[]; metadata?: Record<string, Record<string, string>> }[];
    loaders: { name: string; namespace: string; executable: string; config: Record<string, unknown> }[];
  };
  jobs: { name: string; tasks: string[] }[];
}

describe("the README's Meltano section", () => {
  it("adds each plugin in Meltano 4's form, from a definition file that exists, and sets, tests and invokes in its form", () => {
    const sh = blocks('sh').join('\n');
    for (const plugin of PLUGINS) {
      const add = new RegExp(`^meltano add --plugin-type loader ${plugin.name} --from-ref \\S+/(meltano/${plugin.name}\\.yml)$`, 'm').exec(sh);
      expect(add, plugin.name).to.not.equal(null);
      expect(existsSync(join(repoRoot, add?.[1] as string)), add?.[1]).to.equal(true);
    }
    expect(sh).to.match(/^meltano config set target-listrak-sms client_id /m);
    expect(sh).to.match(/^meltano config test target-listrak-sms /m);
    expect(sh).to.match(/^meltano invoke target-listrak-sms --check /m);
    // Meltano 3's forms (`meltano add loader x`, `meltano config x set`) fail on 4.
    expect(sh).to.not.match(/^meltano (add loader|config target-listrak-sms set)/m);
    const settings = new Set(meltanoDefinition(PLUGINS[0] as (typeof PLUGINS)[number]).settings.map((s) => s.name));
    for (const [, key] of sh.matchAll(/^meltano config set target-listrak-sms (\S+) /gm)) expect(settings.has(key as string), `${key} is a setting`).to.equal(true);
  });

  const yml = blocks('yaml').find((b) => b.startsWith('version: 1'));
  const project = parse(yml ?? '') as Project;

  it('has a complete meltano.yml with both plugins, as their definitions name them', () => {
    expect(yml).to.be.a('string');
    expect(project.plugins.loaders.map((l) => l.name)).to.deep.equal(PLUGINS.map((p) => p.name));
    for (const plugin of PLUGINS) {
      const loader = project.plugins.loaders.find((l) => l.name === plugin.name);
      const def = meltanoDefinition(plugin) as { namespace: string; executable: string };
      expect(loader, plugin.name).to.deep.include({ namespace: def.namespace, executable: def.executable });
    }
  });

  for (const plugin of PLUGINS) {
    it(`configures ${plugin.name} with declared settings only, in a config it accepts`, () => {
      const loader = project.plugins.loaders.find((l) => l.name === plugin.name);
      const declared = new Set(meltanoDefinition(plugin).settings.map((s) => s.name));
      for (const key of Object.keys(loader?.config ?? {})) expect(declared.has(key), `${key} is declared`).to.equal(true);
      // The secrets the README keeps in .env, and a fingerprint in place of its ellipsis.
      const config = { ...loader?.config };
      if (plugin.name === 'target-listrak-sms') expect(() => parseTargetConfig({ ...config, client_id: 'id', client_secret: 'from .env' })).to.not.throw();
      else expect(() => parseExportConfig({ ...config, password: 'from .env', host_key_sha256: 'SHA256:' + 'A'.repeat(43) }, { needsUpload: true })).to.not.throw();
    });
  }

  it("replicates the target's audience stream FULL_TABLE in the extractor its task reads from, and selects it", () => {
    const target = project.plugins.loaders.find((l) => l.name === 'target-listrak-sms');
    const stream = target?.config.audience_stream as string;
    const task = project.jobs.flatMap((j) => j.tasks).find((t) => t.endsWith(' target-listrak-sms'));
    const extractor = project.plugins.extractors.find((e) => e.name === task?.split(' ')[0]);
    expect(extractor?.metadata?.[stream]?.['replication-method']).to.equal('FULL_TABLE');
    expect(extractor?.select).to.include(`${stream}.*`);
  });
});
