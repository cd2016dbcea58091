import { describe, expect, it } from 'vitest';
import {
  CANDIDATES,
  LABEL_ROOM,
  labelBox,
  placeLabels,
  wirePoint,
} from '../../src/ui/canvas/labels';

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
    expect(
      Math.abs(pa.x - pb.x) >= LABEL_ROOM.width || Math.abs(pa.y - pb.y) >= LABEL_ROOM.height,
    ).toBe(true);
  });

  it('takes the room of a typical label, centred on the point of the wire', () => {
    // 80 × 60 around (100, 50): 40 to either side, 30 above and below.
    expect(labelBox({ x: 100, y: 50 })).toEqual({ x: 60, y: 20, width: 80, height: 60 });
  });
});

describe('wire labels among many nodes', () => {
  // The placement as first written: every candidate checked against every placed box.
  function reference(
    wires: { id: string; sx: number; sy: number; tx: number; ty: number }[],
    obstacles: { x: number; y: number; width: number; height: number }[],
  ): Map<string, number> {
    const box = (p: { x: number; y: number }) => ({
      x: p.x - 40,
      y: p.y - 30,
      width: 80,
      height: 60,
    });
    const hit = (a: ReturnType<typeof box>, b: (typeof obstacles)[number]) =>
      a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    const placed = [...obstacles];
    const out = new Map<string, number>();
    for (const w of wires) {
      let best = 0.5;
      let bestBox = box(wirePoint(w, 0.5));
      let bestHits = Number.POSITIVE_INFINITY;
      for (const t of CANDIDATES) {
        const b = box(wirePoint(w, t));
        const hits = placed.filter((q) => hit(b, q)).length;
        if (hits < bestHits) {
          best = t;
          bestBox = b;
          bestHits = hits;
          if (hits === 0) break;
        }
      }
      placed.push(bestBox);
      if (best !== 0.5) out.set(w.id, best);
    }
    return out;
  }

  it('places labels as checking every box against every other would', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 20; round++) {
      const obstacles = Array.from({ length: 300 }, () => ({
        x: Math.round(rand() * 1500),
        y: Math.round(rand() * 900),
        width: rand() < 0.1 ? 2000 : 68,
        height: 52,
      }));
      const wires = Array.from({ length: 200 }, (_, i) => ({
        id: `w${i}`,
        sx: Math.round(rand() * 1500),
        sy: Math.round(rand() * 900),
        tx: Math.round(rand() * 1500),
        ty: Math.round(rand() * 900),
      }));
      const got = placeLabels(wires, obstacles);
      const want = reference(wires, obstacles);
      expect([...got.entries()].sort()).toEqual([...want.entries()].sort());
      // The case is not trivial: some labels do have to move.
      expect(want.size).toBeGreaterThan(0);
    }
  });
});
