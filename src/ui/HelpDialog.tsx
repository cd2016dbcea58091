import { COMMANDS, type Command, describeCombo } from './commands';
import { Dialog } from './Dialog';

const GROUPS: Command['group'][] = ['Build', 'Edit', 'View', 'Playback'];

/** Every command and its keys, from the one command list. */
export function HelpDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" open={open} onClose={onClose} className="help-dialog">
      <div className="help-grid">
        {GROUPS.map((group) => {
          const commands = COMMANDS.filter((c) => c.group === group && c.keys.length > 0);
          if (commands.length === 0) return null;
          return (
            <section key={group}>
              <h3 className="help-group">{group}</h3>
              <table className="help-table">
                <tbody>
                  {commands.map((c) => (
                    <tr key={c.id}>
                      <td className="help-keys">
                        {c.keys
                          .filter(
                            (k, i, all) =>
                              all.findIndex((o) => describeCombo(o) === describeCombo(k)) === i,
                          )
                          .map((k) => (
                            <kbd key={describeCombo(k)}>{describeCombo(k)}</kbd>
                          ))}
                      </td>
                      <td>{c.label}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          );
        })}
      </div>
      <p className="help-note">
        On the canvas: drag from a gate’s right handle to an input port to wire it; Tab moves
        between gates and wires; arrow keys move the selected gates. In a value field: ↑/↓ step the
        value, Shift for bigger steps; drag the ⇔ handle to scrub.
      </p>
    </Dialog>
  );
}
