// The plugin's native Control UI entry: adds the "Claude Code" page and its sidebar item. Loaded
// by the Control UI from the manifest's controlUi.entry (built by `npm run build` into dist/control-ui/).
import type { ControlUiHost, ControlUiPlugin } from "openclaw/plugin-sdk/control-ui";
import { ClaudeCodePage } from "./page.ts";

export const PAGE_ID = "sessions";

const plugin: ControlUiPlugin = {
  // Must equal the manifest's id.
  id: "openclaw-claude-code-plugin",
  activate(host: ControlUiHost) {
    const offPage = host.ui.registerPage({
      id: PAGE_ID,
      label: "Claude Code",
      mount(container, context) {
        const page = new ClaudeCodePage(container, context.host, context.signal);
        return { focus: () => page.focus(), dispose: () => page.dispose() };
      },
    });
    const offNav = host.ui.registerNavigation({ id: PAGE_ID, label: "Claude Code", page: { id: PAGE_ID }, icon: "terminal", order: 10 });
    return () => {
      offNav();
      offPage();
    };
  },
};

export default plugin;
