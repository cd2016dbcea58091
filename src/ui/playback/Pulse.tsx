import { memo, useEffect, useRef } from 'react';

/**
 * A dot travelling along one wire, driven by requestAnimationFrame: forward (source → target)
 * for a value, backward (target → source) for a gradient. Only the wires of the current step
 * have one.
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
      <circle ref={dot} r={7} opacity={0} />
    </g>
  );
});
