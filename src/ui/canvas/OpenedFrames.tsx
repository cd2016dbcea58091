import { ViewportPortal } from '@xyflow/react';
import { memo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { nodeSize } from '../../store/layout';
import { commandTitle } from '../commands';
import { useApp, useAppStore } from '../StoreContext';

/** Room between an opened composite's gates and its frame. */
const PAD = 18;
/** Room above the gates for the frame's title. */
const HEAD = 30;

/**
 * A frame around the gates of each composite opened in place, titled with the gate's name,
 * with a Collapse button that folds them back into one gate. Drawn in the canvas's own
 * coordinates behind the nodes; only the title bar takes the pointer.
 */
export const OpenedFrames = memo(function OpenedFrames() {
  const store = useAppStore();
  const opened = useApp((s) => s.doc.opened);
  const { positions, nodes, values } = useApp(
    useShallow((s) => ({ positions: s.doc.positions, nodes: s.doc.nodes, values: s.doc.values })),
  );
  const embed = useApp((s) => s.mode.embed);
  if (!opened || opened.length === 0) return null;
  const ops = new Map(nodes.map((n) => [n.id as string, n.op]));
  return (
    <ViewportPortal>
      {opened.map((frame) => {
        let x0 = Number.POSITIVE_INFINITY;
        let y0 = Number.POSITIVE_INFINITY;
        let x1 = Number.NEGATIVE_INFINITY;
        let y1 = Number.NEGATIVE_INFINITY;
        for (const id of frame.members) {
          const at = positions.get(id);
          const op = ops.get(id);
          if (!at || op === undefined) continue;
          const size = nodeSize(op, values.get(id));
          x0 = Math.min(x0, at.x);
          y0 = Math.min(y0, at.y);
          x1 = Math.max(x1, at.x + size.width);
          y1 = Math.max(y1, at.y + size.height);
        }
        if (!Number.isFinite(x0)) return null;
        return (
          <div
            key={frame.id}
            className="opened-frame"
            data-opened={frame.gate}
            style={{
              transform: `translate(${x0 - PAD}px, ${y0 - PAD - HEAD}px)`,
              width: x1 - x0 + 2 * PAD,
              height: y1 - y0 + 2 * PAD + HEAD,
            }}
          >
            <div className="opened-frame-head">
              <span className="opened-frame-name">{frame.gate}</span>
              <span className="opened-frame-note">opened</span>
              {!embed && (
                <button
                  type="button"
                  className="opened-frame-close nodrag nopan"
                  title={commandTitle('collapse')}
                  onClick={() => store.getState().closeComposite(frame.id)}
                >
                  Collapse<span className="visually-hidden">{` ${frame.gate}`}</span>
                </button>
              )}
            </div>
          </div>
        );
      })}
    </ViewportPortal>
  );
});
