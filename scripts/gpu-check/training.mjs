// Prints the GPU check's training run (its summary.json) beside the reference run of the same
// recipe on a CPU (results/gpu/reference/summary.json): test accuracy, wall time, images/s.
import fs from 'node:fs';

const read = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
};
const [runFile, referenceFile] = process.argv.slice(2);
const runs = [
  ['this machine', read(runFile)],
  ['reference', read(referenceFile)],
];
console.log('| run | backend | iterations | test accuracy | wall s | images/s | machine |');
console.log('|---|---|---:|---:|---:|---:|---|');
for (const [name, s] of runs) {
  if (s === null) {
    console.log(`| ${name} | did not finish (see run.log) | | | | | |`);
    continue;
  }
  const machine = s.machine ? `${s.machine.cpu}, ${s.machine.cores} cores` : '';
  console.log(
    `| ${name} | ${s.backend?.detail ?? s.backend?.name} | ${s.iterations} | ${s.testAccuracy?.toFixed(2)}% | ${s.wallSeconds?.toFixed(0)} | ${s.imagesPerSecond?.toFixed(0)} | ${machine} |`,
  );
}
