// Plugin entry: registers the tools, chat commands, RPC methods and the background service.
// Registration is synchronous and side-effect free; everything starts in the service.
import { definePluginEntry } from "./host/sdk.ts";
import { createConversationResolver } from "./host/conversation.ts";
import { registerNodeCommands } from "./host/nodes.ts";
import { askGatewayDoctor, createDoctorHost } from "./host/safety.ts";
import { runDoctor } from "./safety/doctor.ts";
import { createService, PLUGIN_ID, readPluginConfig } from "./service.ts";
import { COMMANDS, runCommand } from "./surfaces/commands.ts";
import { optionsRpc, UI_OPTIONS_METHOD } from "./surfaces/control-ui.ts";
import { CLI_DESCRIPTION, CLI_ROOT, DOCTOR_FIX_METHOD, DOCTOR_METHOD, doctorRpc, registerDoctorCli } from "./surfaces/doctor.ts";
import { RPC_METHODS, runRpc } from "./surfaces/rpc.ts";
import { processServicesRef } from "./surfaces/services.ts";
import { createTools, TOOL_NAMES } from "./surfaces/tools.ts";

export default definePluginEntry({
  id: PLUGIN_ID,
  name: "Claude Code",
  description: "Run Claude Code sessions in the background and control them from any channel, tool or RPC.",
  register(api) {
    const services = processServicesRef();
    const resolveConversation = createConversationResolver(api.runtime);

    // An edit of this plugin's config needs no reload: the service applies it in place, so live
    // sessions are not ended by the restart a reload would be.
    api.registerReload({ noopPrefixes: [`plugins.entries.${PLUGIN_ID}.config`] });
    api.registerService(createService({ services, runtime: api.runtime, pluginConfig: api.pluginConfig }));
    // Sessions on paired nodes: the node-host commands (run where a node host loads the plugin) and their policy.
    registerNodeCommands(api);

    api.registerTool((ctx) => createTools(services, ctx), { names: [...TOOL_NAMES] });

    for (const command of COMMANDS) {
      api.registerCommand({
        name: command.name,
        description: `${command.description}. Usage: ${command.usage}`,
        acceptsArgs: true,
        requireAuth: true,
        handler: (ctx) => runCommand(command, services, ctx, resolveConversation),
      });
    }

    // The doctor runs in the gateway (its environment, live config, config writes); the CLI asks it.
    const doctorHere = (fix: boolean) => runDoctor(createDoctorHost(api.runtime, readPluginConfig(api.runtime) ?? api.pluginConfig, () => api.runtime.config.current()), { fix, ranIn: "gateway" });
    api.registerGatewayMethod(DOCTOR_METHOD, doctorRpc(() => doctorHere(false)), { scope: "operator.read" });
    api.registerGatewayMethod(DOCTOR_FIX_METHOD, doctorRpc(() => doctorHere(true)), { scope: "operator.admin" });
    api.registerCli(
      (ctx) =>
        registerDoctorCli(ctx.program, {
          askGateway: ({ fix }) => askGatewayDoctor(fix ? DOCTOR_FIX_METHOD : DOCTOR_METHOD, fix),
          runHere: () => runDoctor(createDoctorHost(api.runtime, api.pluginConfig, () => ctx.config), { fix: false, ranIn: "cli" }),
        }),
      { descriptors: [{ name: CLI_ROOT, description: CLI_DESCRIPTION, hasSubcommands: true }] },
    );

    // The Control UI page (ui/, declared in the manifest's controlUi) asks for its launch choices.
    api.registerGatewayMethod(UI_OPTIONS_METHOD, optionsRpc(() => api.pluginConfig), { scope: "operator.read" });

    for (const method of RPC_METHODS) {
      api.registerGatewayMethod(method.name, ({ params, respond, client }) => runRpc(method, services, params, respond, client), { scope: method.scope });
    }
  },
});
