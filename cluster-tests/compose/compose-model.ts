// The typed view of docker-compose.cluster.yml and of the image it builds (deploy/Dockerfile's runtime
// stage: WORKDIR, ENV, ENTRYPOINT), validated strictly: a key this runner does not understand is an
// error rather than something silently ignored, so the local run cannot drift from what Docker runs.
// Pure (text in, model out); compose-runner.ts does the processes.
import { parseComposeYaml, type YamlValue } from './compose-yaml.js';

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Healthcheck {
  /** The CMD form's argv (after "CMD"). */
  readonly command: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly startPeriodMs: number;
}

export interface ComposeService {
  readonly name: string;
  readonly hostname: string;
  /** entrypoint + command as Docker would join them (image ENTRYPOINT when the service sets none). */
  readonly argv: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** `host:container` pairs as published. */
  readonly ports: readonly { readonly host: number; readonly container: number }[];
  readonly volumes: readonly { readonly name: string; readonly target: string }[];
  readonly dependsOn: readonly { readonly service: string; readonly condition: DependencyCondition }[];
  readonly healthcheck: Healthcheck | undefined;
  /** A service without ports that runs to completion (restart: "no"). */
  readonly oneShot: boolean;
}

export interface ImageFacts {
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly entrypoint: readonly string[];
}

export interface ComposeModel {
  readonly services: readonly ComposeService[];
  readonly volumes: readonly string[];
  readonly image: ImageFacts;
}

const serviceKeys = new Set(['build', 'image', 'hostname', 'command', 'entrypoint', 'environment', 'ports', 'volumes', 'depends_on', 'healthcheck', 'restart']);

function isMap(v: YamlValue | undefined): v is { readonly [key: string]: YamlValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: YamlValue | undefined, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${what} must be a list of strings`);
  return v as string[];
}

function str(v: YamlValue | undefined, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`${what} must be a string`);
  return v;
}

/** `5s`, `300ms`, `1m` -> ms. */
export function durationMs(text: string, what: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (m === null) throw new Error(`${what}: not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1_000 : 60_000);
}

function healthcheckOf(v: YamlValue | undefined, what: string): Healthcheck | undefined {
  if (v === undefined) return undefined;
  if (!isMap(v)) throw new Error(`${what} must be a mapping`);
  const test = strings(v['test'], `${what}.test`);
  if (test[0] !== 'CMD' || test.length < 2) throw new Error(`${what}.test must be ["CMD", ...]`);
  return {
    command: test.slice(1),
    intervalMs: durationMs(str(v['interval'], `${what}.interval`) ?? '30s', `${what}.interval`),
    timeoutMs: durationMs(str(v['timeout'], `${what}.timeout`) ?? '30s', `${what}.timeout`),
    retries: Number(str(v['retries'], `${what}.retries`) ?? '3'),
    startPeriodMs: durationMs(str(v['start_period'], `${what}.start_period`) ?? '0s', `${what}.start_period`),
  };
}

function serviceOf(name: string, v: YamlValue, image: ImageFacts): ComposeService {
  if (!isMap(v)) throw new Error(`services.${name} must be a mapping`);
  for (const key of Object.keys(v)) if (!serviceKeys.has(key)) throw new Error(`services.${name}.${key} is not understood by the local runner`);
  const entrypoint = v['entrypoint'] === undefined ? image.entrypoint : strings(v['entrypoint'], `services.${name}.entrypoint`);
  const envRaw = v['environment'];
  if (envRaw !== undefined && !isMap(envRaw)) throw new Error(`services.${name}.environment must be a mapping`);
  const environment: Record<string, string> = {};
  for (const [k, val] of Object.entries(envRaw ?? {})) environment[k] = str(val, `services.${name}.environment.${k}`) ?? '';
  const ports = strings(v['ports'], `services.${name}.ports`).map((p) => {
    const m = /^(\d+):(\d+)$/.exec(p);
    if (m === null) throw new Error(`services.${name}.ports: expected "host:container", got ${p}`);
    return { host: Number(m[1]), container: Number(m[2]) };
  });
  const volumes = strings(v['volumes'], `services.${name}.volumes`).map((p) => {
    const m = /^([A-Za-z0-9_.-]+):(\/\S*)$/.exec(p);
    if (m === null) throw new Error(`services.${name}.volumes: expected "named-volume:/path", got ${p}`);
    return { name: m[1] as string, target: m[2] as string };
  });
  const dep = v['depends_on'];
  if (dep !== undefined && !isMap(dep)) throw new Error(`services.${name}.depends_on must be a mapping`);
  const dependsOn = Object.entries(dep ?? {}).map(([service, d]) => {
    const condition = isMap(d) ? str(d['condition'], `services.${name}.depends_on.${service}.condition`) : undefined;
    if (condition !== 'service_started' && condition !== 'service_healthy' && condition !== 'service_completed_successfully') {
      throw new Error(`services.${name}.depends_on.${service}: unknown condition ${String(condition)}`);
    }
    return { service, condition } as const;
  });
  return {
    name,
    hostname: str(v['hostname'], `services.${name}.hostname`) ?? name,
    argv: [...entrypoint, ...strings(v['command'], `services.${name}.command`)],
    environment,
    ports,
    volumes,
    dependsOn,
    healthcheck: healthcheckOf(v['healthcheck'], `services.${name}.healthcheck`),
    oneShot: str(v['restart'], `services.${name}.restart`) === 'no' && ports.length === 0,
  };
}

/** WORKDIR, ENV and ENTRYPOINT of the Dockerfile's last stage (the runtime image). */
export function imageFactsOf(dockerfile: string): ImageFacts {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  const stages = joined.split(/^FROM\s.*$/m);
  const last = stages[stages.length - 1] ?? '';
  let workdir = '/';
  const env: Record<string, string> = {};
  let entrypoint: string[] = [];
  for (const line of last.split('\n').map((l) => l.trim())) {
    if (line.startsWith('WORKDIR ')) workdir = line.slice(8).trim();
    if (line.startsWith('ENV ')) for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1] as string] = (m[2] as string).replace(/^"|"$/g, '');
    if (line.startsWith('ENTRYPOINT ')) entrypoint = JSON.parse(line.slice(11)) as string[];
  }
  if (entrypoint.length === 0) throw new Error('the Dockerfile has no ENTRYPOINT in its last stage');
  return { workdir, env, entrypoint };
}

export function parseComposeModel(composeText: string, dockerfileText: string): ComposeModel {
  const doc = parseComposeYaml(composeText);
  if (!isMap(doc) || !isMap(doc['services'])) throw new Error('the compose file has no services mapping');
  const image = imageFactsOf(dockerfileText);
  const services = Object.entries(doc['services']).map(([name, v]) => serviceOf(name, v, image));
  const volumes = isMap(doc['volumes']) ? Object.keys(doc['volumes']) : [];
  for (const s of services) {
    for (const v of s.volumes) if (!volumes.includes(v.name)) throw new Error(`services.${s.name} mounts undeclared volume ${v.name}`);
    for (const d of s.dependsOn) if (!services.some((x) => x.name === d.service)) throw new Error(`services.${s.name} depends on unknown ${d.service}`);
  }
  return { services, volumes, image };
}
