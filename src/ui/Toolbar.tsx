import { memo } from 'react';
import { GALLERY } from '../examples';
import { MoreIcon } from './chrome/icons';
import { Menu, type MenuEntry, type MenuSection } from './chrome/Menu';
import type { Screen } from './chrome/useScreen';
import {
  COMMANDS,
  type CommandContext,
  command,
  commandLabel,
  commandTitle,
  shortcutHint,
} from './commands';
import { useApp, useTemporal } from './StoreContext';
import type { Theme } from './theme';

/** The commands of the View menu, in its order. */
const VIEW = ['tidy', 'fit', 'palette', 'inspector', 'theme', 'present'] as const;

/**
 * Undo and redo, Share, and the menus. Every label and key hint comes from the command list
 * (src/ui/commands.ts). On a desktop the header has room for the example picker, New, Undo,
 * Redo, Share, the View menu and Help; on a tablet Undo, Redo and Share stay and the rest goes
 * into the More menu; on a phone only Share stays beside More.
 */
export const Toolbar = memo(function Toolbar({
  screen,
  ctx,
  theme,
  panels,
}: {
  screen: Screen;
  ctx: CommandContext;
  theme: Theme;
  panels: { palette: boolean; inspector: boolean; code: boolean };
}) {
  const toggleCode = () => command('code').perform(ctx);
  const canUndo = useTemporal((t) => t.pastStates.length > 0);
  const canRedo = useTemporal((t) => t.futureStates.length > 0);
  const canGroup = useApp((s) => s.selectedNodes.length >= 2 && !s.mode.embed);
  const expression = useApp((s) => s.doc.expression);
  const current = GALLERY.find((g) => g.program === expression)?.id ?? '';
  const run = (id: string) => () => {
    const found = COMMANDS.find((c) => c.id === id);
    found?.perform(ctx);
  };
  const entry = (id: string, extra: Partial<MenuEntry> = {}): MenuEntry => ({
    key: id,
    label: commandLabel(id),
    hint: shortcutHint(id) || undefined,
    onSelect: run(id),
    ...extra,
  });
  const checked: Partial<Record<(typeof VIEW)[number], boolean>> = {
    palette: panels.palette,
    inspector: panels.inspector,
    theme: theme === 'dark',
  };
  const viewSection: MenuSection = {
    label: 'View',
    entries: [
      ...VIEW.map((id) => entry(id, { checked: checked[id] })),
      entry('code', { checked: panels.code }),
    ],
  };
  const loadExample = (id: string) => {
    const example = GALLERY.find((g) => g.id === id);
    if (example) ctx.store.getState().loadCircuit(example.circuit, { expression: example.program });
  };
  const button = (id: string, extra: { disabled?: boolean; primary?: boolean } = {}) => (
    <button
      type="button"
      className={`btn${extra.primary ? ' btn-primary' : ''} btn-${id}`}
      onClick={run(id)}
      disabled={extra.disabled}
      title={commandTitle(id)}
    >
      {commandLabel(id)}
    </button>
  );

  if (screen !== 'desktop') {
    const editEntries: MenuEntry[] = [entry('new'), entry('group-gates', { disabled: !canGroup })];
    if (screen === 'phone') {
      editEntries.push(
        entry('undo', { disabled: !canUndo }),
        entry('redo', { disabled: !canRedo }),
      );
    }
    const sections: MenuSection[] = [
      { entries: editEntries },
      {
        label: 'Examples',
        entries: GALLERY.map((g) => ({
          key: g.id,
          label: g.title,
          checked: g.id === current,
          onSelect: () => loadExample(g.id),
        })),
      },
      viewSection,
      { entries: [entry('help')] },
    ];
    return (
      <div className="toolbar">
        {screen === 'tablet' && (
          <div className="btn-group">
            {button('undo', { disabled: !canUndo })}
            {button('redo', { disabled: !canRedo })}
          </div>
        )}
        {button('share', { primary: true })}
        <Menu
          label="More"
          className="menu--more"
          button={
            <>
              <MoreIcon />
              <span className="menu-button-text">More</span>
            </>
          }
          sections={sections}
        />
      </div>
    );
  }

  return (
    <div className="toolbar">
      <label className="visually-hidden" htmlFor="gallery">
        Example
      </label>
      <select
        id="gallery"
        className="gallery-select"
        value={current}
        onChange={(e) => loadExample(e.target.value)}
      >
        <option value="" disabled>
          Examples…
        </option>
        {GALLERY.map((g) => (
          <option key={g.id} value={g.id}>
            {g.title}
          </option>
        ))}
      </select>
      {button('new')}
      <div className="btn-group">
        {button('undo', { disabled: !canUndo })}
        {button('redo', { disabled: !canRedo })}
      </div>
      {button('group-gates', { disabled: !canGroup })}
      <button
        type="button"
        className={`btn btn-code${panels.code ? ' is-on' : ''}`}
        aria-pressed={panels.code}
        onClick={toggleCode}
        title={commandTitle('code')}
      >
        Code
      </button>
      {button('share', { primary: true })}
      <Menu label="View" button={<>View ▾</>} sections={[{ entries: viewSection.entries }]} />
      <button
        type="button"
        className="btn btn-help"
        onClick={run('help')}
        title={commandTitle('help')}
      >
        ?<span className="visually-hidden"> {commandLabel('help')}</span>
      </button>
    </div>
  );
});
