import { expect, test } from 'vitest';
import { Deadlines } from '../../../protocols/mqtt/deadlines.js';

test('deadlines come due in order; cancelled and rescheduled ones are skipped', () => {
  const d = new Deadlines();
  for (let i = 0; i < 200; i++) d.schedule(`k${i}`, 1000 + ((i * 37) % 200));
  d.cancel('k5');
  d.schedule('k6', 5000);
  const due = d.takeDue(1100);
  expect(due).not.toContain('k5');
  expect(due).not.toContain('k6');
  expect(due.length).toBeGreaterThan(90);
  expect(d.takeDue(1100)).toEqual([]);
  expect(d.takeDue(4999).length).toBe(200 - 2 - due.length);
  expect(d.takeDue(5000)).toEqual(['k6']);
});
