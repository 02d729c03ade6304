/** What each plugin is, for `--about`, the config sources and the Meltano plugin definitions: said once, here. */
import type { z } from 'zod';
import { exportConfigSchema } from './export.js';
import { targetConfigSchema } from './target.js';

export interface PluginInfo {
  name: string;
  description: string;
  /** Meltano's capability names, only those the plugin really has. */
  capabilities: readonly string[];
  /** The config schema: the settings, their types, defaults and descriptions. */
  schema: z.ZodType;
  /**
   * The sets of settings of which one must be complete for a run (Meltano's `settings_group_validation`); by
   * default the schema's required settings.
   */
  settingsGroups?: readonly (readonly string[])[];
}

export const TARGET_PLUGIN: PluginInfo = {
  name: 'target-listrak-sms',
  description: 'Singer target that makes one Listrak SMS list mirror an audience stream, and sends transactional texts exactly once',
  capabilities: ['about', 'batch'],
  schema: targetConfigSchema,
};

export const EXPORT_PLUGIN: PluginInfo = {
  name: 'listrak-sftp-export',
  description: "Singer target that writes Listrak's import files (customers, products, orders, order items) and uploads them over SFTP",
  capabilities: ['about', 'batch'],
  schema: exportConfigSchema,
  // An upload logs in with a password or a key, and checks the server's key unless told knowingly not to.
  settingsGroups: [
    ['username', 'password', 'host_key_sha256'],
    ['username', 'private_key_path', 'host_key_sha256'],
    ['username', 'password', 'allow_unknown_host_key'],
    ['username', 'private_key_path', 'allow_unknown_host_key'],
  ],
};
