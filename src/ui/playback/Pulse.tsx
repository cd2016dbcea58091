import { useStore } from '@xyflow/react';
import { memo, useEffect, useRef } from 'react';

/** The dot keeps at least this radius on screen, in pixels, however far out the view is. */
const MIN_SCREEN_RADIUS = 6;
/** Its radius in canvas units at ordinary zooms. */
const RADIUS = 7;

/**
 * A dot travelling along one wire, driven by requestAnimationFrame: forward (source → target)
 * for a value, backward (target → source) for a gradient. Only the wires of the current step
 * have one. Its size grows as the view zooms out, so it stays visible at any zoom.
 */
export const Pulse = memo(function Pulse({
  path,
  direction,
  duration,
}: {
  path: string;
  direction: 'forward' | 'backward';
  duration: number;
}) {
  const track = useRef<SVGPathElement>(null);
  const dot = useRef<SVGCircleElement>(null);
  // Rounded to a quarter-octave, so a zoom gesture re-renders the dot a few times, not per frame.
  const zoom = useStore((s) => 2 ** (Math.round(Math.log2(s.transform[2] || 1) * 4) / 4));
  const r = Math.max(RADIUS, MIN_SCREEN_RADIUS / zoom);
  useEffect(() => {
    const p = track.current;
    const c = dot.current;
    if (!p || !c) return undefined;
    const length = p.getTotalLength();
    const start = performance.now();
    let frame = 0;
    const tick = (now: number) => {
      const t = Math.min(1, (now - start) / duration);
      const at = p.getPointAtLength(length * (direction === 'backward' ? 1 - t : t));
      c.setAttribute('cx', String(at.x));
      c.setAttribute('cy', String(at.y));
      c.setAttribute('opacity', t >= 1 ? '0' : '1');
      if (t < 1) frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [direction, duration]);
  return (
    <g className={`pulse pulse--${direction}`}>
      <path ref={track} d={path} fill="none" stroke="none" />
      <circle ref={dot} r={r} opacity={0} />
    </g>
  );
});
