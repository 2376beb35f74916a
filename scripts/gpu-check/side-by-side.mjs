// Prints ctc's webgpu step times (bench.json) beside PyTorch's on cuda (torch_reference.py --device cuda).
import fs from 'node:fs';

const [benchFile, torchFile] = process.argv.slice(2);
const bench = JSON.parse(fs.readFileSync(benchFile, 'utf8'));
let torch = null;
try {
  torch = JSON.parse(fs.readFileSync(torchFile, 'utf8'));
} catch {
  // PyTorch failed: its log says why; ctc's numbers still print.
}
const steps = bench.ctc?.steps ?? [];
console.log(`ctc: ${bench.ctc?.backend ?? bench.provenance?.backend ?? ''}`);
if (torch) console.log(`PyTorch ${torch.torch} on ${torch.device ?? 'cuda'}`);
console.log('| network | batch | ctc webgpu ms/step | PyTorch cuda ms/step | ratio | GPU MiB (ctc) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const s of steps) {
  const t = torch?.nets?.[s.net]?.msPerStep;
  const ratio = t ? (s.msPerStep / t).toFixed(2) : '—';
  console.log(
    `| ${s.net} | ${s.batch ?? bench.batch ?? ''} | ${s.msPerStep.toFixed(1)} | ${t ? t.toFixed(1) : '—'} | ${ratio} | ${s.gpuMiB ? s.gpuMiB.toFixed(0) : '—'} |`,
  );
}
