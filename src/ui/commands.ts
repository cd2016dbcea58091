import { openedOf } from '../store/group';
import type { AppStore } from '../store/store';
import { CODE_COMMANDS } from './code/commands';
import { copyStepImageCommand } from './exportImage';

/** A key combination. `mod` is Ctrl on Windows/Linux and ⌘ on macOS. */
export interface KeyCombo {
  readonly key: string;
  readonly mod?: boolean;
  readonly shift?: boolean;
  readonly alt?: boolean;
}

/** What a command may reach besides the store: the canvas and the panels. */
export interface CommandContext {
  readonly store: AppStore;
  fitView(): void;
  zoomIn(): void;
  zoomOut(): void;
  toggleHelp(): void;
  toggleInspector(): void;
  togglePalette(): void;
  toggleTheme(): void;
  openConnect(): void;
  focusExpression(): void;
  focusPalette(): void;
  focusRename(): void;
  openShare(): void;
  /** Opens the Group dialog for the selected gates. */
  openGroup(): void;
}

/**
 * A command is data: a name, a label, its keys and what it does. The keyboard handler, the
 * help panel and the buttons all read this one list.
 */
export interface Command {
  readonly id: string;
  readonly label: string;
  /** The shorter label a menu entry or a button shows (the help panel shows `label`). */
  readonly menuLabel?: string;
  readonly group: 'Edit' | 'Build' | 'View' | 'Playback';
  readonly keys: readonly KeyCombo[];
  /** Also allowed while typing in a text field (e.g. undo is not: the field has its own). */
  readonly inFields?: boolean;
  /** Extra condition on where the key was pressed. */
  readonly when?: (event: KeyboardEvent) => boolean;
  perform(ctx: CommandContext): void;
}

const temporal = (ctx: CommandContext) => ctx.store.temporal.getState();

/** Runs `action` on the one selected gate, or says that one must be selected. */
function onSelected(ctx: CommandContext, what: string, action: (id: string) => void): void {
  const { selectedNodes, notify } = ctx.store.getState();
  if (selectedNodes.length !== 1) {
    notify(
      `${what} works on one gate: select ${what === 'Expand' ? 'a composite gate or a matrix product (an @ gate)' : 'a gate of an opened composite or an expanded product'} first.`,
    );
    return;
  }
  action(selectedNodes[0]);
}

export const COMMANDS: readonly Command[] = [
  {
    id: 'new',
    label: 'Start an empty circuit (undo brings the old one back)',
    menuLabel: 'New',
    group: 'Edit',
    keys: [],
    perform: (ctx) => ctx.store.getState().loadCircuit({ nodes: [], wires: [], output: null }),
  },
  {
    id: 'undo',
    label: 'Undo',
    group: 'Edit',
    keys: [{ key: 'z', mod: true }],
    perform: (ctx) => temporal(ctx).undo(),
  },
  {
    id: 'redo',
    label: 'Redo',
    group: 'Edit',
    keys: [
      { key: 'z', mod: true, shift: true },
      { key: 'y', mod: true },
    ],
    perform: (ctx) => temporal(ctx).redo(),
  },
  {
    id: 'delete',
    label: 'Delete the selection',
    group: 'Edit',
    keys: [{ key: 'Delete' }, { key: 'Backspace' }],
    perform: (ctx) => ctx.store.getState().deleteSelection(),
  },
  {
    id: 'copy',
    label: 'Copy',
    group: 'Edit',
    keys: [{ key: 'c', mod: true }],
    perform: (ctx) => ctx.store.getState().copySelection(),
  },
  {
    id: 'paste',
    label: 'Paste',
    group: 'Edit',
    keys: [{ key: 'v', mod: true }],
    perform: (ctx) => ctx.store.getState().paste(),
  },
  {
    id: 'duplicate',
    label: 'Duplicate',
    group: 'Edit',
    keys: [{ key: 'd', mod: true }],
    perform: (ctx) => ctx.store.getState().duplicateSelection(),
  },
  {
    id: 'select-all',
    label: 'Select everything',
    group: 'Edit',
    keys: [{ key: 'a', mod: true }],
    perform: (ctx) => {
      const { doc, select } = ctx.store.getState();
      select(doc.nodes.map((n) => n.id));
    },
  },
  {
    id: 'rename',
    label: 'Rename the selected node',
    group: 'Edit',
    keys: [{ key: 'F2' }, { key: 'r' }],
    perform: (ctx) => ctx.focusRename(),
  },
  {
    id: 'add-gate',
    label: 'Add a gate (go to the palette)',
    group: 'Build',
    keys: [{ key: 'a' }],
    perform: (ctx) => ctx.focusPalette(),
  },
  {
    id: 'connect',
    label: 'Connect two ports',
    group: 'Build',
    keys: [{ key: 'c' }],
    perform: (ctx) => ctx.openConnect(),
  },
  {
    id: 'set-output',
    label: 'Make the selected gate the output f',
    group: 'Build',
    keys: [{ key: 'o' }],
    perform: (ctx) => {
      const { selectedNodes, setOutput } = ctx.store.getState();
      if (selectedNodes.length === 1) setOutput(selectedNodes[0]);
    },
  },
  {
    id: 'expression',
    label: 'Type an expression',
    group: 'Build',
    keys: [{ key: 'e' }, { key: '/' }],
    perform: (ctx) => ctx.focusExpression(),
  },
  {
    id: 'group-gates',
    label: 'Group the selected gates into one composite gate',
    menuLabel: 'Group',
    group: 'Build',
    keys: [{ key: 'g', mod: true }],
    perform: (ctx) => {
      const { selectedNodes, notify } = ctx.store.getState();
      if (selectedNodes.length < 2) {
        notify(
          'Group works on a selection: select the gates to group first (Shift+click, or drag a box).',
        );
        return;
      }
      ctx.openGroup();
    },
  },
  {
    id: 'expand',
    label:
      'Expand the selected gate: a composite opens in place, a matrix product (up to 3×3 · 3×3) comes apart into its scalar gates',
    menuLabel: 'Expand',
    group: 'Build',
    keys: [{ key: 'x' }],
    perform: (ctx) => onSelected(ctx, 'Expand', (id) => ctx.store.getState().expandGate(id)),
  },
  {
    id: 'collapse',
    label:
      'Collapse an opened composite or an expanded product (select any of its gates) back into one gate',
    menuLabel: 'Collapse',
    group: 'Build',
    keys: [{ key: 'x', shift: true }],
    perform: (ctx) => {
      // The gates of an opened composite (selected as Expand leaves them) fold back together.
      const { doc, selectedNodes, closeComposite } = ctx.store.getState();
      const frame = selectedNodes.length > 0 ? openedOf(doc, selectedNodes[0]) : undefined;
      if (frame && selectedNodes.every((id) => openedOf(doc, id) === frame)) {
        closeComposite(frame.id);
        return;
      }
      onSelected(ctx, 'Collapse', (id) => ctx.store.getState().collapseGate(id));
    },
  },
  {
    id: 'tidy',
    label: 'Tidy up the layout',
    menuLabel: 'Tidy up',
    group: 'View',
    keys: [{ key: 't' }],
    perform: (ctx) => ctx.store.getState().tidyUp(),
  },
  {
    id: 'fit',
    label: 'Fit the circuit to the screen',
    menuLabel: 'Fit to screen',
    group: 'View',
    keys: [{ key: 'f' }],
    perform: (ctx) => ctx.fitView(),
  },
  {
    id: 'zoom-in',
    label: 'Zoom in',
    group: 'View',
    keys: [{ key: '+' }, { key: '=' }],
    perform: (ctx) => ctx.zoomIn(),
  },
  {
    id: 'zoom-out',
    label: 'Zoom out',
    group: 'View',
    keys: [{ key: '-' }],
    perform: (ctx) => ctx.zoomOut(),
  },
  {
    id: 'palette',
    label: 'Show / hide the gate palette',
    menuLabel: 'Gate palette',
    group: 'View',
    keys: [{ key: 'g' }],
    perform: (ctx) => ctx.togglePalette(),
  },
  {
    id: 'inspector',
    label: 'Show / hide the inspector panel',
    menuLabel: 'Inspector',
    group: 'View',
    keys: [{ key: 'i' }],
    perform: (ctx) => ctx.toggleInspector(),
  },
  {
    id: 'present',
    label: 'Presentation mode (large type, clicker keys)',
    menuLabel: 'Presentation mode',
    group: 'View',
    keys: [{ key: 'p' }],
    perform: (ctx) => {
      const { mode, setMode } = ctx.store.getState();
      setMode({ present: !mode.present });
    },
  },
  {
    id: 'theme',
    label: 'Switch dark / light',
    menuLabel: 'Dark mode',
    group: 'View',
    keys: [{ key: 'd', shift: true }],
    perform: (ctx) => ctx.toggleTheme(),
  },
  {
    id: 'play',
    label: 'Play / pause',
    group: 'Playback',
    keys: [{ key: ' ' }, { key: 'k' }],
    // Space on a focused button presses that button.
    when: (event) => !(event.target instanceof HTMLButtonElement),
    perform: (ctx) => ctx.store.getState().togglePlay(),
  },
  {
    id: 'step-forward',
    label: 'Step forward',
    group: 'Playback',
    keys: [{ key: 'ArrowRight' }, { key: 'PageDown' }, { key: 'l' }],
    when: notOnCanvasItem,
    perform: (ctx) => ctx.store.getState().stepForward(),
  },
  {
    id: 'step-back',
    label: 'Step back',
    group: 'Playback',
    keys: [{ key: 'ArrowLeft' }, { key: 'PageUp' }, { key: 'j' }],
    when: notOnCanvasItem,
    perform: (ctx) => ctx.store.getState().stepBack(),
  },
  {
    id: 'reset',
    label: 'Reset: back before the forward pass',
    group: 'Playback',
    keys: [{ key: 'Home' }],
    perform: (ctx) => ctx.store.getState().resetPlayback(),
  },
  {
    id: 'end',
    label: 'Jump to the end of the backward pass',
    group: 'Playback',
    keys: [{ key: 'End' }],
    perform: (ctx) => ctx.store.getState().toEnd(),
  },
  {
    id: 'show-all',
    label: 'Leave playback: show every number',
    group: 'Playback',
    keys: [{ key: 'Escape' }],
    perform: (ctx) => ctx.store.getState().exitPlayback(),
  },
  {
    id: 'help',
    label: 'Show the keyboard shortcuts',
    menuLabel: 'Keyboard shortcuts',
    group: 'View',
    keys: [{ key: '?' }],
    perform: (ctx) => ctx.toggleHelp(),
  },
  {
    id: 'copy-step-image',
    label: 'Copy this step as an image',
    group: 'Playback',
    keys: [{ key: 'c', shift: true }],
    perform: (ctx) => void copyStepImageCommand(ctx.store),
  },
  {
    id: 'share',
    label: 'Share a link, embed it, download or open a file',
    menuLabel: 'Share',
    group: 'Edit',
    keys: [],
    perform: (ctx) => ctx.openShare(),
  },
  // The Code panel's own commands, declared beside the panel.
  ...CODE_COMMANDS,
];

const BY_ID: ReadonlyMap<string, Command> = new Map(COMMANDS.map((c) => [c.id, c]));

/** The command of that id; a typo in a button's command id fails loudly, at first render. */
export function command(id: string): Command {
  const found = BY_ID.get(id);
  if (!found) throw new Error(`there is no command "${id}" in src/ui/commands.ts`);
  return found;
}

/** What a button or menu entry shows for a command. */
export function commandLabel(id: string): string {
  const c = command(id);
  return c.menuLabel ?? c.label;
}

/** A command's first key as the user types it on this machine (⌘Z on a Mac), or ''. */
export function shortcutHint(id: string): string {
  const first = command(id).keys[0];
  return first ? describeCombo(first) : '';
}

/** A tooltip: the command's label and its key, "Undo (Ctrl+Z)". */
export function commandTitle(id: string): string {
  const hint = shortcutHint(id);
  return hint ? `${command(id).label} (${hint})` : command(id).label;
}

/**
 * Whether this is a Mac (or an iPhone or iPad with a keyboard): the platform from the newer
 * `navigator.userAgentData` where there is one, else `navigator.platform`.
 */
export function isMac(): boolean {
  if (typeof navigator === 'undefined') return false;
  const data = (navigator as { userAgentData?: { platform?: string } }).userAgentData;
  const platform = data?.platform || navigator.platform || '';
  return /Mac|iPhone|iPad|iOS/i.test(platform);
}

export function matches(combo: KeyCombo, event: KeyboardEvent): boolean {
  const mod = isMac() ? event.metaKey : event.ctrlKey;
  if (!!combo.mod !== mod) return false;
  if (!!combo.alt !== event.altKey) return false;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (combo.key === ' ' && key === ' ') return !combo.shift === !event.shiftKey;
  const wanted = combo.key.length === 1 ? combo.key.toLowerCase() : combo.key;
  if (key !== wanted) return false;
  // Shift matters for letters and named keys; for symbols like ? it is part of the key.
  if (/^[a-z]$/.test(wanted) || wanted.length > 1) return !!combo.shift === event.shiftKey;
  return true;
}

export function describeCombo(combo: KeyCombo): string {
  const parts: string[] = [];
  if (combo.mod) parts.push(isMac() ? '⌘' : 'Ctrl');
  if (combo.alt) parts.push(isMac() ? '⌥' : 'Alt');
  if (combo.shift) parts.push(isMac() ? '⇧' : 'Shift');
  parts.push(
    combo.key === ' ' ? 'Space' : combo.key.length === 1 ? combo.key.toUpperCase() : combo.key,
  );
  // macOS writes modifiers run together (⌘⇧Z); elsewhere they are joined with "+".
  return parts.join(isMac() ? '' : '+');
}

/** Arrow keys on a focused gate or wire move it (React Flow's own keyboard support). */
function notOnCanvasItem(event: KeyboardEvent): boolean {
  if (!event.key.startsWith('Arrow')) return true;
  const target = event.target;
  return !(target instanceof Element && target.closest('.react-flow__node, .react-flow__edge'));
}

/** Text fields keep their own keys (typing "c" must not open a dialog). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}
