/**
 * Server settings from the command line and the environment. The table in `settings-schema.ts`
 * produces the commander options (and so `--help`), the env-var names and the validation here.
 *
 * Precedence: a flag on the command line, else its `TENSORGATE_*` env var (if set and not empty),
 * else the default.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseGpuSetting } from '../core/gpu-detect.js';
import { groupsServedOn } from '../frontends/api-groups.js';
import { parseRestrictions, RestrictionSpecError, type ApiRestrictions } from '../frontends/restricted-apis.js';
import { CacheConfigError, parseCacheConfig } from './cache-config.js';
import { parseTraceConfig, TraceConfigError } from './trace-config.js';
import { parseRateLimitResources, RateLimitResourceError } from './rate-limit-resource.js';
import {
  SETTINGS,
  type RawSettings,
  type ServerSettings,
  type SettingEntry,
  type SettingKey,
} from './settings-schema.js';
import {
  InvalidValueError,
  SettingsError,
  formatDefault,
  parseEnvValue,
  parseValue,
  type SettingValue,
} from './setting-values.js';
import { REFUSED_FLAGS, refusalOf, type RefusedFlag } from './triton-flags.js';
import { BackendConfigError, parseBackendConfig } from './backend-config.js';
import { MetricsConfigError, parseMetricsConfig } from './metrics-config.js';

export { SETTINGS, SettingsError };
export type { ServerSettings, SettingEntry, SettingKey };

/** Settings plus notes for the log (options that were given but have no effect). */
export interface ResolvedSettings {
  readonly settings: ServerSettings;
  readonly warnings: readonly string[];
}

/** The commander options of each entry: its main option, its aliases and its `--no-` form. */
interface EntryOptions {
  readonly entry: SettingEntry;
  readonly main: Option;
  readonly aliases: readonly Option[];
}

// The options are remembered on the command itself, so resolveSettings() can read them back from
// the same command object commander hands to an action, without the caller keeping them.
const ENTRY_OPTIONS = Symbol('tensorgate.settingsOptions');
const REFUSED_OPTIONS = Symbol('tensorgate.refusedOptions');
type CommandWithSettings = Command & {
  [ENTRY_OPTIONS]?: readonly EntryOptions[];
  [REFUSED_OPTIONS]?: ReadonlyArray<{ readonly refused: RefusedFlag; readonly option: Option }>;
};

function helpSuffix(entry: SettingEntry): string {
  const shown = formatDefault(entry);
  const optional = entry.type === 'string' && entry.optional === true;
  const parts = [shown !== undefined ? `default: ${shown}` : optional ? 'optional' : 'required', `env: ${entry.env}`];
  if (entry.aliases?.length) parts.push(`alias: ${entry.aliases.join(', ')}`);
  return ` (${parts.join('; ')})`;
}

/** commander calls this for every occurrence of a flag; it throws commander's error type. */
function argParser(entry: SettingEntry): (text: string, previous: unknown) => SettingValue {
  return (text, previous) => {
    try {
      // Triton adds a repository per --model-repository; tensorgate serves one, so a second is
      // refused rather than dropped.
      if (entry.key === 'modelRepository' && previous !== undefined) {
        throw new InvalidValueError(
          `${entry.flag} given more than once: tensorgate serves one model repository (Triton's several are not supported)`,
        );
      }
      const value = parseValue(entry, text);
      if (entry.type !== 'list') return value;
      return [...(Array.isArray(previous) ? (previous as string[]) : []), value as string];
    } catch (err) {
      // commander prints "argument 'x' is invalid." before this message, so start a sentence.
      if (err instanceof InvalidValueError) {
        throw new InvalidArgumentError(err.message.charAt(0).toUpperCase() + err.message.slice(1));
      }
      throw err;
    }
  };
}

function optionsFor(entry: SettingEntry): EntryOptions {
  const isBool = entry.type === 'bool';
  const arg = isBool ? ` [${entry.valueName}]` : ` <${entry.valueName}>`;
  const parse = argParser(entry);
  const main = new Option(entry.flag + arg, entry.description + helpSuffix(entry));
  // choices() only for the help text; its parser is replaced by ours, which checks them too.
  if (entry.type === 'enum') main.choices(entry.choices as readonly string[]);
  main.argParser(parse);
  const aliases = (entry.aliases ?? []).map((flag) =>
    new Option(flag + arg, `Same as ${entry.flag}.`).argParser(parse).hideHelp(),
  );
  const negated = isBool ? [new Option(`--no-${entry.flag.slice(2)}`, `Same as ${entry.flag}=false.`)] : [];
  return { entry, main, aliases: [...aliases, ...negated] };
}

/**
 * Adds one option per settings entry (and its aliases and `--no-` form) to `command`; the
 * generated `--help` lists each flag with its default and env var.
 *
 * @example
 * ```ts
 * const serve = addSettingsOptions(new Command('serve'));
 * serve.action(() => start(resolveSettings(serve, process.env).settings));
 * ```
 */
export function addSettingsOptions(command: Command): Command {
  const all = SETTINGS.map(optionsFor);
  for (const { main, aliases } of all) {
    command.addOption(main);
    for (const alias of aliases) command.addOption(alias);
  }
  (command as CommandWithSettings)[ENTRY_OPTIONS] = all;
  // Triton's flags tensorgate refuses: hidden, every occurrence kept, checked by resolveSettings.
  const refused = REFUSED_FLAGS.map((flag) => ({
    refused: flag,
    option: new Option(`${flag.flag} <${flag.valueName}>`)
      .hideHelp()
      .argParser((text: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), text]),
  }));
  for (const { option } of refused) command.addOption(option);
  (command as CommandWithSettings)[REFUSED_OPTIONS] = refused;
  return command;
}

/** Throws for the first refused Triton flag given with a value tensorgate cannot honour. */
function checkRefused(command: CommandWithSettings): void {
  for (const { refused, option } of command[REFUSED_OPTIONS] ?? []) {
    const values = (command.getOptionValue(option.attributeName()) as string[] | undefined) ?? [];
    for (const value of values) {
      const message = refusalOf(refused, value);
      if (message !== undefined) throw new SettingsError(message);
    }
  }
}

/** The value a flag was given on the command line, if any (checking aliases, refusing both). */
function fromCli(command: Command, { main, aliases }: EntryOptions): SettingValue | undefined {
  const given = [main, ...aliases].filter(
    (o) => !o.negate && command.getOptionValueSource(o.attributeName()) === 'cli',
  );
  // `--no-x` shares its attribute with `--x`, so it is covered by the main option's source.
  if (given.length > 1) {
    throw new SettingsError(`${given.map((o) => o.long).join(' and ')} both given; use one of them`);
  }
  const option = given[0];
  return option === undefined ? undefined : (command.getOptionValue(option.attributeName()) as SettingValue);
}

function fromEnv(entry: SettingEntry, env: NodeJS.ProcessEnv): SettingValue | undefined {
  const text = env[entry.env];
  if (text === undefined || text === '') return undefined;
  try {
    return parseEnvValue(entry, text);
  } catch (err) {
    if (err instanceof InvalidValueError) {
      throw new SettingsError(`environment variable ${entry.env}='${text}' is invalid: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Merges a parsed command's flags with `env` and the defaults, and checks the result.
 * Throws {@link SettingsError} with a message meant for the operator.
 */
export function resolveSettings(command: Command, env: NodeJS.ProcessEnv): ResolvedSettings {
  const entries = (command as CommandWithSettings)[ENTRY_OPTIONS];
  if (!entries) throw new Error('resolveSettings: addSettingsOptions() was not called on this command');
  checkRefused(command as CommandWithSettings);
  const raw: Partial<Record<SettingKey, SettingValue>> = {};
  const explicit = new Set<SettingKey>();
  for (const options of entries) {
    const { entry } = options;
    const value = fromCli(command, options) ?? fromEnv(entry, env);
    if (value !== undefined) explicit.add(entry.key);
    const chosen = value ?? ('default' in entry ? (entry.default as SettingValue | undefined) : undefined);
    if (chosen === undefined) {
      if (entry.type === 'string' && entry.optional) continue;
      throw new SettingsError(`${entry.flag} is required (or set ${entry.env})`);
    }
    raw[entry.key] = Array.isArray(chosen) ? [...chosen] : chosen;
  }
  // Every key is filled above with a value of its entry's type (the schema types tie them).
  return finish(raw as RawSettings, explicit, env);
}

/** Cross-setting rules, Triton's where Triton has them. */
function finish(raw: RawSettings, explicit: ReadonlySet<SettingKey>, env: NodeJS.ProcessEnv): ResolvedSettings {
  const warnings: string[] = [];
  const { logVerbose, ...settings } = raw;

  if (logVerbose > 0 && !explicit.has('logLevel')) settings.logLevel = 'debug';

  // Triton's --log-format names text timestamps: giving it asks for text lines.
  if (settings.logEncoding === 'auto' && explicit.has('logFormat')) settings.logEncoding = 'text';

  const noAutoComplete = settings.disableAutoCompleteConfig || settings.strictModelConfig;
  settings.disableAutoCompleteConfig = noAutoComplete;
  settings.strictModelConfig = noAutoComplete;

  try {
    parseGpuSetting(settings.gpus);
  } catch (err) {
    throw new SettingsError(`--gpus (TENSORGATE_GPUS) '${settings.gpus}' is invalid: ${(err as Error).message}`);
  }

  if (settings.loadModel.includes('*') && settings.loadModel.length > 1) {
    throw new SettingsError('--load-model=* loads every model and must be the only --load-model');
  }
  // Triton's rule and words: a start-up model list means nothing outside explicit mode.
  if (settings.loadModel.length > 0 && settings.modelControlMode !== 'explicit') {
    throw new SettingsError(
      "use of '--load-model' requires setting '--model-control-mode=explicit' as well " +
        `(given: --model-control-mode=${settings.modelControlMode}, --load-model ${settings.loadModel.join(', ')})`,
    );
  }

  // As Triton: two endpoints clash when they bind the same port on the same address.
  const addresses = bindAddresses(settings);
  const ports: Array<[string, boolean, number, string]> = [
    ['--http-port', settings.allowHttp, settings.httpPort, addresses.http],
    ['--grpc-port', settings.allowGrpc, settings.grpcPort, addresses.grpc],
    ['--metrics-port', settings.allowMetrics, settings.metricsPort, addresses.metrics],
  ];
  const enabled = ports.filter(([, on, port]) => on && port !== 0);
  for (const [i, [flag, , port, address]] of enabled.entries()) {
    const clash = enabled.slice(i + 1).find(([, , other, at]) => other === port && at === address);
    if (clash) throw new SettingsError(`${flag} and ${clash[0]} are both ${port}; each endpoint needs its own port`);
  }
  if (settings.modelConfigName !== undefined && !/^[A-Za-z0-9_.-]+$/.test(settings.modelConfigName)) {
    throw new SettingsError(
      `--model-config-name '${settings.modelConfigName}' is invalid: a file name (letters, digits, '_', '.', '-'; no spaces or '/')`,
    );
  }
  try {
    parseBackendConfig(settings.backendConfig);
    parseMetricsConfig(settings.metricsConfig);
  } catch (err) {
    if (err instanceof BackendConfigError || err instanceof MetricsConfigError) throw new SettingsError(err.message);
    throw err;
  }
  checkTls(settings, warnings);
  checkRestrictions(settings, warnings);
  if (settings.console && !settings.allowHttp) {
    warnings.push(
      '--console ignored: the console is served on the HTTP port, and HTTP is disabled (--allow-http=false)',
    );
  }
  if (settings.grpcServices !== undefined && !settings.allowGrpc) {
    // Nothing would serve them: say so, as for other flags of a disabled frontend.
    warnings.push('--grpc-services ignored with --allow-grpc false (custom gRPC services are served on the gRPC port)');
  }
  checkGrpcJsLimits(settings, explicit);
  checkDecompressionBudget(settings, explicit);
  checkTraceConfig(settings, env);
  checkCacheConfig(settings);
  checkRateLimit(settings, warnings);
  if (!settings.allowHttp && !settings.allowGrpc) {
    warnings.push('both HTTP and gRPC are disabled: no inference endpoint will be served');
  }
  return { settings, warnings };
}

/**
 * The address each endpoint binds to: its own flag, else `--host`; metrics fall back to
 * `--http-address` first, as Triton's does.
 *
 * @example
 * ```ts
 * bindAddresses(parseSettings(['--model-repository=/m', '--http-address=127.0.0.1'], {})).metrics; // '127.0.0.1'
 * ```
 */
export function bindAddresses(
  settings: Pick<ServerSettings, 'host' | 'httpAddress' | 'grpcAddress' | 'metricsAddress'>,
): { http: string; grpc: string; metrics: string } {
  return {
    http: settings.httpAddress ?? settings.host,
    grpc: settings.grpcAddress ?? settings.host,
    metrics: settings.metricsAddress ?? settings.httpAddress ?? settings.host,
  };
}

/**
 * Connection limits grpc-js' server does not implement (no ping policing, keepalive pings
 * whether or not calls are in flight; see `frontends/grpc/grpc-transport.ts`): given with
 * `--grpc-transport grpc-js`, they are refused rather than silently ignored.
 */
const NATIVE_ONLY: ReadonlyArray<[SettingKey, string]> = [
  ['grpcKeepalivePermitWithoutCalls', '--grpc-keepalive-permit-without-calls'],
  ['grpcHttp2MaxPingsWithoutData', '--grpc-http2-max-pings-without-data'],
  ['grpcHttp2MinRecvPingIntervalWithoutData', '--grpc-http2-min-recv-ping-interval-without-data'],
  ['grpcHttp2MaxPingStrikes', '--grpc-http2-max-ping-strikes'],
];

function checkGrpcJsLimits(settings: ServerSettings, explicit: ReadonlySet<SettingKey>): void {
  if (settings.grpcTransport !== 'grpc-js' || !settings.allowGrpc) return;
  const given = NATIVE_ONLY.filter(([key]) => explicit.has(key)).map(([, flag]) => flag);
  if (given.length > 0) {
    throw new SettingsError(
      `${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} not supported with --grpc-transport grpc-js ` +
        "(grpc-js' server has no such setting); use the native transport or leave it unset",
    );
  }
}

/**
 * The decompression budget must hold one message of the largest limit, or a compressed message
 * between the two could never be inflated: a default budget grows to that limit, one given
 * explicitly below it is refused.
 */
function checkDecompressionBudget(settings: ServerSettings, explicit: ReadonlySet<SettingKey>): void {
  const limits: Array<[string, number]> = [];
  if (settings.allowHttp) limits.push(['--http-max-body-bytes', settings.httpMaxBodyBytes]);
  if (settings.allowGrpc) limits.push(['--grpc-max-message-bytes', settings.grpcMaxMessageBytes]);
  for (const [flag, limit] of limits) {
    if (settings.decompressionBudgetBytes >= limit) continue;
    if (!explicit.has('decompressionBudgetBytes')) {
      settings.decompressionBudgetBytes = limit;
      continue;
    }
    throw new SettingsError(
      `--decompression-budget-bytes ${settings.decompressionBudgetBytes} is smaller than ${flag} ${limit}: ` +
        'a compressed message of that size could never be inflated; raise --decompression-budget-bytes',
    );
  }
}

/**
 * TLS flag combinations. The files themselves are read (and checked) at startup by
 * `frontends/tls-files.ts`; here only which flags go together. Like Triton, mutual TLS implies TLS,
 * and certificate flags without their `--*-use-ssl` are ignored (with a warning here).
 */
function checkTls(settings: ServerSettings, warnings: string[]): void {
  settings.grpcUseSsl ||= settings.grpcUseSslMutual;
  const requireFiles = (on: string, needed: Array<[string, string | undefined]>): void => {
    const missing = needed.filter(([, path]) => path === undefined).map(([flag]) => flag);
    if (missing.length > 0) throw new SettingsError(`${on} needs ${missing.join(' and ')}`);
  };
  const ignoreFiles = (off: string, given: Array<[string, string | undefined]>): void => {
    const unused = given.filter(([, path]) => path !== undefined).map(([flag]) => flag);
    if (unused.length > 0) warnings.push(`${unused.join(', ')} ignored without ${off}`);
  };
  const grpcFiles: Array<[string, string | undefined]> = [
    ['--grpc-server-cert', settings.grpcServerCert],
    ['--grpc-server-key', settings.grpcServerKey],
  ];
  if (settings.grpcUseSsl) {
    const flag = settings.grpcUseSslMutual ? '--grpc-use-ssl-mutual' : '--grpc-use-ssl';
    requireFiles(flag, grpcFiles);
    if (settings.grpcUseSslMutual) {
      if (settings.grpcRootCert === undefined) {
        throw new SettingsError(
          '--grpc-use-ssl-mutual needs --grpc-root-cert (the CA that client certificates must chain to)',
        );
      }
    } else {
      ignoreFiles('--grpc-use-ssl-mutual', [['--grpc-root-cert', settings.grpcRootCert]]);
    }
  } else {
    ignoreFiles('--grpc-use-ssl', [...grpcFiles, ['--grpc-root-cert', settings.grpcRootCert]]);
  }
  const httpFiles: Array<[string, string | undefined]> = [
    ['--http-server-cert', settings.httpServerCert],
    ['--http-server-key', settings.httpServerKey],
  ];
  if (settings.httpUseSsl) requireFiles('--http-use-ssl', httpFiles);
  else ignoreFiles('--http-use-ssl', httpFiles);
}

/**
 * `--http-restricted-api` / `--grpc-restricted-protocol`: parsed here so a bad value stops
 * start-up with a message naming the option; `createServer` parses them again (pure) to use them.
 */
function checkRestrictions(settings: ServerSettings, warnings: string[]): void {
  let http: ApiRestrictions;
  try {
    http = parseRestrictions('http', settings.httpRestrictedApi);
    parseRestrictions('grpc', settings.grpcRestrictedProtocol);
  } catch (err) {
    if (err instanceof RestrictionSpecError) throw new SettingsError(err.message);
    throw err;
  }
  // Accepted, as Triton's launch lines name it (its docs restrict trace on HTTP), but said aloud.
  const served = groupsServedOn('http');
  for (const group of http.groups().filter((g) => !served.has(g))) {
    warnings.push(`--http-restricted-api: tensorgate serves no HTTP endpoint of group '${group}'; nothing to restrict`);
  }
  if (!settings.allowHttp && settings.httpRestrictedApi.length > 0) {
    warnings.push('--http-restricted-api ignored: HTTP is disabled (--allow-http=false)');
  }
  if (!settings.allowGrpc && settings.grpcRestrictedProtocol.length > 0) {
    warnings.push('--grpc-restricted-protocol ignored: gRPC is disabled (--allow-grpc=false)');
  }
}

/** `--cache-config`: parsed here so a bad entry stops start-up; `createServer` parses it again to use it. */
function checkCacheConfig(settings: ServerSettings): void {
  try {
    parseCacheConfig(settings.cacheConfig);
  } catch (err) {
    if (err instanceof CacheConfigError) throw new SettingsError(err.message);
    throw err;
  }
}

/**
 * `--rate-limit-resource`: parsed here so a bad entry stops start-up (`createServer` parses it
 * again, checking devices against the GPUs); without the rate limiter it would do nothing: say so.
 */
function checkRateLimit(settings: ServerSettings, warnings: string[]): void {
  try {
    parseRateLimitResources(settings.rateLimitResource);
  } catch (err) {
    if (err instanceof RateLimitResourceError) throw new SettingsError(err.message);
    throw err;
  }
  if (settings.rateLimitResource.length > 0 && settings.rateLimit === 'off') {
    warnings.push(
      '--rate-limit-resource has no effect with --rate-limit off (the default): resources are limited only with ' +
        '--rate-limit execution_count',
    );
  }
}

/** `--trace-config`: parsed here so a bad entry stops start-up; `createServer` parses it again to use it. */
function checkTraceConfig(settings: ServerSettings, env: NodeJS.ProcessEnv): void {
  try {
    parseTraceConfig(settings.traceConfig, env);
  } catch (err) {
    if (err instanceof TraceConfigError) throw new SettingsError(err.message);
    throw err;
  }
}

/** A fresh command carrying only the settings options, throwing instead of exiting. */
function settingsCommand(): Command {
  return addSettingsOptions(new Command('serve'))
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
}

/**
 * Like {@link parseSettings}, also returning warnings about options that have no effect.
 */
export function parseSettingsWithWarnings(argv: string[], env: NodeJS.ProcessEnv): ResolvedSettings {
  const command = settingsCommand();
  try {
    command.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof Error && 'code' in err) {
      throw new SettingsError(err.message.replace(/^error: /, ''));
    }
    throw err;
  }
  return resolveSettings(command, env);
}

/**
 * Parses server options (the arguments after `tensorgate serve`) and `TENSORGATE_*` env vars.
 * Throws {@link SettingsError} with a clear message on an unknown flag or a bad value.
 *
 * @example
 * ```ts
 * const settings = parseSettings(['--model-repository', '/models', '--http-port=9000'], process.env);
 * settings.httpPort; // 9000
 * ```
 */
export function parseSettings(argv: string[], env: NodeJS.ProcessEnv): ServerSettings {
  return parseSettingsWithWarnings(argv, env).settings;
}
