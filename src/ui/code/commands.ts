import type { Command } from '../commands';

/** The Code panel's command: its key, label and what it does (merged into the command list). */
export const CODE_COMMANDS: Command[] = [
  {
    id: 'code',
    label: 'Show / hide the Code panel (the backward pass as code)',
    menuLabel: 'Code panel',
    group: 'View',
    keys: [{ key: 'b' }],
    perform: (ctx) => {
      const state = ctx.store.getState();
      state.setCodeOpen(!state.codeOpen);
    },
  },
];
