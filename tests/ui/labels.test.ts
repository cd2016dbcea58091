import { describe, expect, it } from 'vitest';
import { placeLabels, wirePoint } from '../../src/ui/canvas/labels';

describe('wire labels', () => {
  it('follows the drawn curve: ends at the handles, middle halfway', () => {
    const w = { sx: 0, sy: 0, tx: 200, ty: 100 };
    expect(wirePoint(w, 0)).toEqual({ x: 0, y: 0 });
    expect(wirePoint(w, 1)).toEqual({ x: 200, y: 100 });
    expect(wirePoint(w, 0.5)).toEqual({ x: 100, y: 50 });
  });

  it('keeps labels in the middle when they do not collide', () => {
    const placed = placeLabels([
      { id: 'a', sx: 0, sy: 0, tx: 200, ty: 0 },
      { id: 'b', sx: 0, sy: 200, tx: 200, ty: 200 },
    ]);
    expect(placed.size).toBe(0);
  });

  it('slides a colliding label along its own wire to a free spot', () => {
    // Two wires converging on one gate from nearby sources: their middles coincide.
    const wires = [
      { id: 'a', sx: 0, sy: 0, tx: 400, ty: 40 },
      { id: 'b', sx: 0, sy: 20, tx: 400, ty: 60 },
    ];
    const placed = placeLabels(wires);
    expect(placed.has('a')).toBe(false);
    const t = placed.get('b');
    expect(t).toBeDefined();
    const pa = wirePoint(wires[0], 0.5);
    const pb = wirePoint(wires[1], t as number);
    expect(Math.abs(pa.x - pb.x) >= 76 || Math.abs(pa.y - pb.y) >= 50).toBe(true);
  });
});
