// Learning-rate schedules, as pure functions of the iteration (0-based): Caffe's `inv` (LeNets),
// `multistep` (LeNets++, ResNet-20), `step` and `constant`.

import type { ScheduleConfig } from '../config/schema.js';

export function learningRate(schedule: ScheduleConfig, baseLr: number, iteration: number): number {
  switch (schedule.name) {
    case 'constant':
      return baseLr;
    case 'inv':
      return baseLr * Math.pow(1 + schedule.gamma * iteration, -schedule.power);
    case 'multistep': {
      const passed = schedule.milestones.filter((m) => iteration >= m).length;
      return baseLr * Math.pow(schedule.gamma, passed);
    }
    case 'step':
      return baseLr * Math.pow(schedule.gamma, Math.floor(iteration / schedule.stepSize));
  }
}
