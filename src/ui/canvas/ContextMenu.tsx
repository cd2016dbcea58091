import { useEffect, useRef } from 'react';
import { expandAction } from '../../store/expand';
import { openedOf } from '../../store/group';
import { shapesOf } from '../../store/slices/expand';
import { type CommandContext, command, commandLabel, shortcutHint } from '../commands';

/** Where the menu opened (in the canvas's own pixels) and on which gate. */
export interface MenuAt {
  readonly x: number;
  readonly y: number;
  readonly node: string;
}

/**
 * The menu a right-click (or the context-menu key) on a gate opens: what can be done with
 * the selection there: Group, Expand or Collapse, make it the output, delete. Each entry is a
 * command of the one list, with its key. ↑/↓ move, Escape closes.
 */
export function ContextMenu({
  at,
  ctx,
  onClose,
}: {
  at: MenuAt;
  ctx: CommandContext;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const state = ctx.store.getState();
  const selected = state.selectedNodes;
  const ids: string[] = [];
  if (selected.length >= 2) ids.push('group-gates');
  const action =
    selected.length === 1
      ? expandAction(state.doc, selected[0], shapesOf(ctx.store.getState))
      : undefined;
  const inFrame = selected.length > 0 && openedOf(state.doc, selected[0]) !== undefined;
  if (action?.kind === 'expand') ids.push('expand');
  if (action?.kind === 'collapse' || (inFrame && !ids.includes('collapse'))) ids.push('collapse');
  if (selected.length === 1) ids.push('set-output');
  ids.push('delete');

  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const away = (event: PointerEvent) => {
      if (!ref.current?.contains(event.target as Node)) onClose();
    };
    window.addEventListener('pointerdown', away, true);
    return () => window.removeEventListener('pointerdown', away, true);
  }, [onClose]);

  const move = (event: React.KeyboardEvent) => {
    const items = [...(ref.current?.querySelectorAll('button') ?? [])];
    const now = items.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      items[(now + step + items.length) % items.length]?.focus();
    }
  };

  return (
    <div
      ref={ref}
      className="context-menu"
      role="menu"
      aria-label={`Actions for ${at.node}`}
      style={{ left: at.x, top: at.y }}
      onKeyDown={move}
    >
      {ids.map((id) => (
        <button
          key={id}
          type="button"
          role="menuitem"
          className="context-menu-item"
          onClick={() => {
            onClose();
            command(id).perform(ctx);
          }}
        >
          <span>{commandLabel(id)}</span>
          {shortcutHint(id) && <kbd className="context-menu-key">{shortcutHint(id)}</kbd>}
        </button>
      ))}
    </div>
  );
}
