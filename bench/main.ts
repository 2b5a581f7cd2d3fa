/**
 * `npm run bench [-- --quick] [--rounds N] [--only workload,...]`
 *
 * Every configuration runs in a fresh Node process. Rounds are interleaved:
 * each round runs every contender of every workload once (in a rotated order),
 * ratios are taken between contenders of the same round, and the table shows
 * medians over the rounds. Results go to the terminal and to bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaseResult, type CaseSpec, type ContenderName, type HandlerName, LABELS, RESULT_MARK } from './spec.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string): string | undefined => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const rounds = Number(option('--rounds') ?? (quick ? 1 : 3));
const only = option('--only')?.split(',');

type Better = 'higher' | 'lower';

interface Group {
  key: string;
  title: string;
  unit: string;
  better: Better;
  contenders: ContenderName[];
  spec: Omit<CaseSpec, 'contender'>;
}

const ALL: ContenderName[] = ['nest', 'engine', 'heap', 'fastq', 'pqueue'];
const PRIORITIZED: ContenderName[] = ['nest', 'engine', 'heap', 'pqueue'];
const N = quick ? 20_000 : 1_000_000;

function plan(): Group[] {
  const groups: Group[] = [];
  const handlers: HandlerName[] = quick ? ['noop'] : ['noop', 'yield'];
  for (const handler of handlers) {
    for (const workers of quick ? [64] : [5, 64]) {
      groups.push({
        key: `steady/${workers}w/${handler}`,
        title: `steady, 1 priority, ${workers} workers, ${handler}`,
        unit: 'jobs/s',
        better: 'higher',
        contenders: ALL,
        spec: { workload: 'steady', workers, handler, n: N },
      });
      groups.push({
        key: `steadyLimited/${workers}w/${handler}`,
        title: `steady, 1 priority, ${workers} workers, ${handler}, rate limit that never binds`,
        unit: 'jobs/s',
        better: 'higher',
        contenders: ['nest', 'engine'],
        spec: { workload: 'steady', workers, handler, n: N, rateLimit: true },
      });
      groups.push({
        key: `steadyRandom/${workers}w/${handler}`,
        title: `steady, 10 priorities, ${workers} workers, ${handler}`,
        unit: 'jobs/s',
        better: 'higher',
        contenders: PRIORITIZED,
        spec: { workload: 'steadyRandom', workers, handler, n: N },
      });
    }
    for (const workers of quick ? [5] : [5, 64]) {
      groups.push({
        key: `drain/${workers}w/${handler}`,
        title: `enqueue ${N / 1000}k then drain, ${workers} workers, ${handler}`,
        unit: 'jobs/s',
        better: 'higher',
        contenders: ALL,
        spec: { workload: 'drain', workers, handler, n: N },
      });
      groups.push({
        key: `latency/${workers}w/${handler}`,
        title: `p99 submit-to-start at 20k jobs/s, ${workers} workers, ${handler}`,
        unit: 'ms',
        better: 'lower',
        contenders: ALL,
        spec: { workload: 'latency', workers, handler, n: 0, rate: 20_000, seconds: quick ? 0.25 : 2 },
      });
    }
  }
  groups.push({
    key: 'heapBytes',
    title: `heap per queued job (${(quick ? 50_000 : N) / 1000}k queued)`,
    unit: 'bytes',
    better: 'lower',
    contenders: ALL,
    spec: { workload: 'heapBytes', workers: 5, handler: 'noop', n: quick ? 50_000 : N },
  });
  for (const queued of quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]) {
    groups.push({
      key: `scaling/${queued}`,
      title: `priority insert with ${queued / 1000}k queued`,
      unit: 'µs/insert',
      better: 'lower',
      // p-queue's sorted-array insert is O(n): at 1M queued a round would take minutes.
      contenders: queued <= 100_000 ? ['nest', 'engine', 'heap', 'pqueue'] : ['nest', 'engine', 'heap'],
      spec: { workload: 'scaling', workers: 5, handler: 'noop', n: queued, inserts: 10_000 },
    });
  }
  const enqueueN = quick ? 30_000 : 300_000;
  groups.push({
    key: 'enqueue',
    title: `enqueue ${enqueueN / 1000}k, random priorities`,
    unit: 's',
    better: 'lower',
    // p-queue takes ~28 s here (O(n) insert): left out to keep a round short.
    contenders: ['nest', 'engine', 'heap'],
    spec: { workload: 'enqueue', workers: 5, handler: 'noop', n: enqueueN },
  });
  return only === undefined ? groups : groups.filter((group) => only.some((name) => group.key.startsWith(name)));
}

function runCase(spec: CaseSpec): CaseResult {
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=4096', join(here, 'case.js'), JSON.stringify(spec)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  const line = output.split('\n').find((text) => text.startsWith(RESULT_MARK));
  if (line === undefined) throw new Error(`no result from ${JSON.stringify(spec)}:\n${output}`);
  return JSON.parse(line.slice(RESULT_MARK.length)) as CaseResult;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

type RoundResults = Map<string, Map<ContenderName, CaseResult>>;

const groups = plan();
const raw: Array<{ round: number; group: string; contender: ContenderName; result: CaseResult }> = [];
const perRound: RoundResults[] = [];
const started = Date.now();
for (let round = 0; round < rounds; round++) {
  const results: RoundResults = new Map();
  perRound.push(results);
  for (const group of groups) {
    const byContender = new Map<ContenderName, CaseResult>();
    results.set(group.key, byContender);
    // Rotate the order each round so that no contender always runs first or last.
    const order = group.contenders.map((_, i) => group.contenders[(i + round) % group.contenders.length]);
    for (const contender of order) {
      const result = runCase({ ...group.spec, contender });
      byContender.set(contender, result);
      raw.push({ round, group: group.key, contender, result });
    }
    process.stderr.write(`round ${round + 1}/${rounds}: ${group.title} done\n`);
  }
}

/** Median over rounds of a contender's figure, and of ours/theirs taken within each round. */
function summarize(group: Group) {
  const values: Partial<Record<ContenderName, number>> = {};
  const details: Partial<Record<ContenderName, Record<string, number>>> = {};
  for (const contender of group.contenders) {
    const results = perRound.map((round) => round.get(group.key)!.get(contender)!);
    values[contender] = median(results.map((result) => result.value));
    const keys = Object.keys(results[0]);
    details[contender] = Object.fromEntries(keys.map((key) => [key, median(results.map((result) => result[key]))]));
  }
  const ratios: Record<string, number> = {};
  for (const ours of ['nest', 'engine'] as const) {
    for (const other of group.contenders) {
      if (other === 'nest' || other === ours) continue;
      ratios[`${ours}/${other}`] = median(
        perRound.map((round) => round.get(group.key)!.get(ours)!.value / round.get(group.key)!.get(other)!.value),
      );
    }
  }
  return { key: group.key, title: group.title, unit: group.unit, better: group.better, values, details, ratios };
}

const summary = groups.map(summarize);
const find = (key: string) => summary.find((entry) => entry.key === key);

/** A ratio within one round, taken with a per-round function over the group's results. */
function ratioOf(key: string, pick: (result: CaseResult) => number, ours: ContenderName, other: ContenderName): number | undefined {
  if (find(key) === undefined) return undefined;
  return median(perRound.map((round) => pick(round.get(key)!.get(ours)!) / pick(round.get(key)!.get(other)!)));
}

const value = (result: CaseResult): number => result.value;
const cpu = (result: CaseResult): number => result.cpuUsPerJob;

interface Target {
  what: string;
  ratio: number | undefined;
  /** `>= x` or `<= x`. */
  bound: number;
  atLeast: boolean;
}

function targets(who: ContenderName): Target[] {
  const list: Target[] = [
    { what: 'steady 1 priority, 64w: vs bare heap', ratio: ratioOf('steady/64w/noop', value, who, 'heap'), bound: 0.5, atLeast: true },
    { what: 'steady 1 priority, 64w: vs p-queue', ratio: ratioOf('steady/64w/noop', value, who, 'pqueue'), bound: 2, atLeast: true },
    { what: 'steady 10 priorities, 64w: vs p-queue', ratio: ratioOf('steadyRandom/64w/noop', value, who, 'pqueue'), bound: 5, atLeast: true },
    { what: 'enqueue then drain, 5w: vs fastq', ratio: ratioOf('drain/5w/noop', value, who, 'fastq'), bound: 1, atLeast: true },
    { what: 'enqueue then drain, 5w: vs p-queue', ratio: ratioOf('drain/5w/noop', value, who, 'pqueue'), bound: 2, atLeast: true },
    { what: 'heap per queued job: vs bare heap', ratio: ratioOf('heapBytes', value, who, 'heap'), bound: 1.2, atLeast: false },
    { what: 'p99 submit-to-start, 5w: vs bare heap', ratio: ratioOf('latency/5w/noop', value, who, 'heap'), bound: 2, atLeast: false },
    { what: 'CPU per job at 20k/s, 5w: vs bare heap', ratio: ratioOf('latency/5w/noop', cpu, who, 'heap'), bound: 1.5, atLeast: false },
    { what: 'enqueue random priorities: vs bare heap', ratio: ratioOf('enqueue', value, who, 'heap'), bound: 2, atLeast: false },
  ];
  if (find('steadyLimited/64w/noop') !== undefined && find('steady/64w/noop') !== undefined) {
    list.push({
      what: 'steady 64w: an unbinding rate limit vs none',
      ratio: median(perRound.map((round) => round.get('steadyLimited/64w/noop')!.get(who)!.value / round.get('steady/64w/noop')!.get(who)!.value)),
      bound: 0.9,
      atLeast: true,
    });
  }
  const largest = find('scaling/1000000') ?? find('scaling/100000');
  if (largest !== undefined && find('scaling/10000') !== undefined) {
    list.push({
      what: `insert cost, ${largest.key.split('/')[1]} vs 10k queued (O(log n))`,
      ratio: median(perRound.map((round) => round.get(largest.key)!.get(who)!.value / round.get('scaling/10000')!.get(who)!.value)),
      bound: 3,
      atLeast: false,
    });
  }
  return list.filter((target) => target.ratio !== undefined);
}

function format(value: number, unit: string): string {
  if (unit === 'jobs/s') return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : `${(value / 1e3).toFixed(0)} k`;
  if (unit === 'bytes') return `${value.toFixed(0)} B`;
  if (unit === 'ms') return `${value.toFixed(3)} ms`;
  if (unit === 'µs/insert') return `${value.toFixed(3)} µs`;
  return `${value.toFixed(3)} s`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

const header = ['Workload (median)', ...ALL.map((name) => LABELS[name]), 'Nest / heap', 'Nest / fastq', 'Nest / p-queue'];
const rows = [header];
for (const entry of summary) {
  const cells = ALL.map((name) => (entry.values[name] === undefined ? '—' : format(entry.values[name]!, entry.unit)));
  const ratio = (other: string) => (entry.ratios[`nest/${other}`] === undefined ? '—' : `${entry.ratios[`nest/${other}`].toFixed(2)}×`);
  rows.push([entry.title, ...cells, ratio('heap'), ratio('fastq'), ratio('pqueue')]);
  const latencyEntry = entry.key.startsWith('latency/');
  if (latencyEntry) {
    rows.push([
      `  CPU per job at that rate`,
      ...ALL.map((name) => (entry.details[name] === undefined ? '—' : `${entry.details[name]!.cpuUsPerJob.toFixed(2)} µs`)),
      ...['heap', 'fastq', 'pqueue'].map((other) => {
        const ratio = ratioOf(entry.key, cpu, 'nest', other as ContenderName);
        return ratio === undefined ? '—' : `${ratio.toFixed(2)}×`;
      }),
    ]);
  }
}

const targetRows = [['Target (ratio within a round, median)', 'JobQueue (Nest)', 'bare engine', 'required', 'holds (Nest)']];
const nestTargets = targets('nest');
const engineTargets = targets('engine');
for (let i = 0; i < nestTargets.length; i++) {
  const target = nestTargets[i];
  const holds = target.atLeast ? target.ratio! >= target.bound : target.ratio! <= target.bound;
  targetRows.push([
    target.what,
    `${target.ratio!.toFixed(2)}×`,
    `${engineTargets[i].ratio!.toFixed(2)}×`,
    `${target.atLeast ? '>=' : '<='} ${target.bound}×`,
    holds ? 'yes' : 'NO',
  ]);
}

// A run of some rows (--only) must not pass for the latest full run.
const kind = quick ? 'quick' : only !== undefined ? 'partial' : 'full';
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, ${os.platform()} ${os.release()}`;
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`\nnestjs-jobs benchmark — ${kind} run, ${rounds} round(s), ${minutes} min; ${machine}\n`);
console.log(table(rows));
console.log('');
console.log(table(targetRows));

const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const json = JSON.stringify({ date: new Date().toISOString(), machine, quick, rounds, summary, targets: { nest: nestTargets, engine: engineTargets }, raw }, null, 2);
writeFileSync(file, json);
writeFileSync(join(outDir, kind === 'full' ? 'latest.json' : `latest-${kind}.json`), json);
console.log(`\nJSON: ${file}`);
if (quick) console.log('Quick mode checks that every configuration runs; its small counts are dominated by warm-up, so its ratios are not the targets\' measure.');
