package dev.nhd.lsp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.eclipse.lsp4j.ClientCapabilities;
import org.eclipse.lsp4j.ClientInfo;
import org.eclipse.lsp4j.DidChangeConfigurationParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.ExecuteCommandParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.InitializedParams;
import org.eclipse.lsp4j.TextDocumentItem;
import org.eclipse.lsp4j.WindowClientCapabilities;
import org.eclipse.lsp4j.WorkDoneProgressBegin;
import org.eclipse.lsp4j.WorkDoneProgressEnd;
import org.eclipse.lsp4j.WorkDoneProgressNotification;
import org.eclipse.lsp4j.WorkspaceFolder;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drives nhd the way LSP4IJ does: the language server template's command as a process on stdio,
 * LSP4J's launcher (the library and version LSP4IJ uses), initializationOptions from the template's
 * initializationOptions.json, then workspace/executeCommand for every action, custom `nhd/`
 * requests, $/progress and pushed notifications, and shutdown/exit.
 *
 * <p>test/integration/lsp4j.test.ts runs it with the system properties nhd.node (Node), nhd.script
 * (dist/nhd.js) and nhd.repo (the repository, for the templates and protocol/metaModel.json); the
 * environment variables NHD_NODE, NHD_SCRIPT and NHD_REPO work too.
 */
class NhdLsp4jTest {
  private static final long TIMEOUT_S = Long.parseLong(setting("nhd.timeoutSeconds", "NHD_TEST_TIMEOUT_S", "30"));
  private static final Gson GSON = new Gson();

  private Path home;
  private Path repo;
  private Process process;
  private NhdServer server;
  private RecordingClient client;
  private Path stderr;
  /** The shared daemon `serve --remote=auto` started, stopped after the test. */
  private long daemonPid = -1;

  private static String setting(String property, String env, String fallback) {
    String value = System.getProperty(property);
    if (value == null || value.isEmpty()) value = System.getenv(env);
    if (value == null || value.isEmpty()) {
      if (fallback != null) return fallback;
      fail("set -D" + property + " or " + env + " (test/integration/lsp4j.test.ts does)");
    }
    return value;
  }

  private static JsonObject readJson(Path file) throws IOException {
    return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
  }

  private static JsonObject json(Object value) {
    JsonElement tree = value instanceof JsonElement element ? element : GSON.toJsonTree(value);
    return tree.getAsJsonObject();
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  /** Waits until `condition` holds over what the client recorded. */
  private void until(String what, Predicate<RecordingClient> condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
    while (System.nanoTime() < deadline) {
      if (condition.test(client)) return;
      Thread.sleep(20);
    }
    fail("timed out waiting for " + what + "; the daemon's stderr: " + stderrText());
  }

  private String stderrText() {
    try {
      return Files.readString(stderr);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  @BeforeEach
  void launch() throws Exception {
    repo = Path.of(setting("nhd.repo", "NHD_REPO", null));
    String node = setting("nhd.node", "NHD_NODE", null);
    String script = setting("nhd.script", "NHD_SCRIPT", null);
    // Short: the shared daemon's socket lives under it (unix socket paths are limited to 107 bytes).
    home = Files.createTempDirectory(Path.of("/tmp"), "nhd-j");
    stderr = home.resolve("stderr.log");

    // The command LSP4IJ runs is the template's programArgs; `nhd` is this checkout's CLI.
    JsonObject template = readJson(repo.resolve("clients/jetbrains/lsp4ij/nhd-language-server/template.json"));
    List<String> command = new ArrayList<>(Arrays.asList(template.getAsJsonObject("programArgs").get("default").getAsString().split(" ")));
    assertEquals("nhd", command.get(0), "the template runs the nhd CLI");
    command.remove(0);
    command.add(0, script);
    command.add(0, node);

    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.put("NHD_HOME", home.toString());
    env.put("NHD_TEST_HOOKS", "1");
    env.remove("KUBECONFIG");
    builder.redirectError(stderr.toFile());
    process = builder.start();

    client = new RecordingClient();
    Launcher<NhdServer> launcher = new LSPLauncher.Builder<NhdServer>()
        .setLocalService(client)
        .setRemoteInterface(NhdServer.class)
        .setInput(process.getInputStream())
        .setOutput(process.getOutputStream())
        .setExecutorService(Executors.newCachedThreadPool())
        .create();
    server = launcher.getRemoteProxy();
    launcher.startListening();
  }

  @AfterEach
  void stop() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroy();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    // Wait for the shared daemon to exit: it removes its socket as it stops, which would race the walk below.
    if (daemonPid > 0) {
      var daemon = ProcessHandle.of(daemonPid);
      if (daemon.isPresent()) {
        daemon.get().destroy();
        daemon.get().onExit().get(5, TimeUnit.SECONDS);
      }
    }
    if (home != null) {
      try (var paths = Files.walk(home)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void mainFlowAsLsp4ijDrivesIt() throws Exception {
    long started = System.nanoTime();
    Path fakeKubeconfig = home.resolve("kubeconfig");
    Files.writeString(fakeKubeconfig, String.join("\n",
        "apiVersion: v1",
        "kind: Config",
        "current-context: fake",
        "clusters: [{name: fake, cluster: {server: \"https://127.0.0.1:1\"}}]",
        "users: [{name: fake-user, user: {token: x}}]",
        "contexts: [{name: fake, context: {cluster: fake, user: fake-user, namespace: lsp4j}}, {name: other, context: {cluster: fake, user: fake-user}}]",
        ""));

    // initialize, with the template's initializationOptions as a user fills them in.
    JsonObject initializationOptions = readJson(repo.resolve("clients/jetbrains/lsp4ij/nhd-language-server/initializationOptions.json"));
    assertTrue(initializationOptions.has("kubeconfig") && initializationOptions.has("namespace"), "initializationOptions.json names kubeconfig and namespace");
    initializationOptions.addProperty("kubeconfig", fakeKubeconfig.toString());

    InitializeParams params = new InitializeParams();
    params.setProcessId((int) ProcessHandle.current().pid());
    params.setClientInfo(new ClientInfo("LSP4J test", "1.0.0"));
    params.setWorkspaceFolders(List.of(new WorkspaceFolder(home.toUri().toString(), "project")));
    ClientCapabilities capabilities = new ClientCapabilities();
    WindowClientCapabilities window = new WindowClientCapabilities();
    window.setWorkDoneProgress(true);
    capabilities.setWindow(window);
    params.setCapabilities(capabilities);
    params.setInitializationOptions(initializationOptions);
    InitializeResult result = await(server.initialize(params));
    server.initialized(new InitializedParams());
    // LSP4IJ sends the template's settings.json as workspace/didChangeConfiguration once started.
    server.getWorkspaceService().didChangeConfiguration(new DidChangeConfigurationParams(readJson(repo.resolve("clients/jetbrains/lsp4ij/nhd-language-server/settings.json"))));

    // Capabilities: every command of protocol/commands.ts, nhd's protocol version.
    JsonObject metaModel = readJson(repo.resolve("protocol/metaModel.json"));
    Set<String> expected = new TreeSet<>(metaModel.getAsJsonObject("commands").keySet());
    Set<String> listed = new TreeSet<>(result.getCapabilities().getExecuteCommandProvider().getCommands());
    assertEquals(expected, listed, "executeCommandProvider lists the protocol's commands (NHD_TEST_HOOKS=1 adds nhd.test.sleep)");
    assertEquals("nhd", result.getServerInfo().getName());
    JsonObject nhdCapabilities = json(result.getCapabilities().getExperimental()).getAsJsonObject("nhd");
    assertEquals(metaModel.get("version").getAsString(), nhdCapabilities.get("protocolVersion").getAsString());
    System.out.println("ok: initialize: " + listed.size() + " commands, protocol " + nhdCapabilities.get("protocolVersion").getAsString());

    // nhd.status through workspace/executeCommand (the shared daemon, via --remote=auto).
    JsonObject status = json(await(server.getWorkspaceService().executeCommand(new ExecuteCommandParams("nhd.status", List.of(new JsonObject())))));
    assertEquals("socket", status.get("mode").getAsString());
    daemonPid = status.get("pid").getAsLong();
    boolean named = false;
    for (JsonElement c : status.getAsJsonArray("clients")) named |= c.getAsJsonObject().get("name").getAsString().equals("LSP4J test");
    assertTrue(named, "clientInfo reaches the daemon: " + status);
    assertTrue(status.get("logFile").getAsString().endsWith("daemon.log"), "status names the log: " + status);
    System.out.println("ok: nhd.status: pid " + daemonPid + ", log " + status.get("logFile").getAsString());

    // The same as a custom request (LSP4IJ's LSP API can send these too).
    JsonObject direct = await(server.status(new JsonObject()));
    assertEquals(daemonPid, direct.get("pid").getAsLong());

    // A broken dev config: diagnostics from nhd/config/validate and, opened in the editor, pushed.
    Path configDir = Files.createDirectories(home.resolve("svc/.nocalhost"));
    Path configFile = configDir.resolve("config.yaml");
    String broken = String.join("\n", "name: authors", "serviceType: deployment", "containers:", "  - name: authors", "    dev:", "      image: golang", "      portForward:", "        - \"80x80\"", "");
    Files.writeString(configFile, broken);
    JsonObject validateParams = new JsonObject();
    validateParams.addProperty("path", configFile.toString());
    JsonObject validation = await(server.configValidate(validateParams));
    JsonArray diagnostics = validation.getAsJsonArray("diagnostics");
    assertFalse(diagnostics.isEmpty(), "diagnostics for " + configFile);
    JsonObject first = diagnostics.get(0).getAsJsonObject();
    assertEquals("error", first.get("severity").getAsString());
    assertEquals(7, first.getAsJsonObject("range").getAsJsonObject("start").get("line").getAsInt());
    System.out.println("ok: nhd/config/validate: " + first.get("message").getAsString());

    JsonObject viaCommand = json(await(server.getWorkspaceService().executeCommand(new ExecuteCommandParams("nhd.config.validate", List.of(validateParams)))));
    assertEquals(diagnostics.size(), viaCommand.getAsJsonArray("diagnostics").size());

    String uri = configFile.toUri().toString();
    server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(uri, "yaml", 1, broken)));
    until("textDocument/publishDiagnostics for " + uri, c -> c.diagnostics.stream().anyMatch(d -> d.getUri().equals(uri) && !d.getDiagnostics().isEmpty()));
    System.out.println("ok: publishDiagnostics on didOpen");

    // nhd/kube/contexts reads the kubeconfig initializationOptions named.
    JsonObject contexts = await(server.kubeContexts(new JsonObject()));
    assertEquals(fakeKubeconfig.toString(), contexts.getAsJsonArray("files").get(0).getAsString());
    assertEquals("fake", contexts.get("current").getAsString());
    assertEquals(2, contexts.getAsJsonArray("contexts").size());
    System.out.println("ok: nhd/kube/contexts: " + contexts.get("current").getAsString() + " from " + fakeKubeconfig);

    // Dev start against a cluster that refuses connections: a stable code and a message a person can act on.
    JsonObject devStart = new JsonObject();
    devStart.addProperty("kind", "deployment");
    devStart.addProperty("name", "authors");
    try {
      await(server.getWorkspaceService().executeCommand(new ExecuteCommandParams("nhd.dev.start", List.of(devStart))));
      fail("nhd.dev.start succeeded without a cluster");
    } catch (ExecutionException e) {
      ResponseErrorException error = (ResponseErrorException) e.getCause();
      int code = error.getResponseError().getCode();
      assertEquals(metaModel.getAsJsonObject("errorCodes").get("KubeUnreachable").getAsInt(), code, error.getMessage());
      assertTrue(error.getMessage().contains("127.0.0.1:1"), error.getMessage());
      System.out.println("ok: nhd.dev.start error " + code + ": " + error.getMessage());
    }
    try {
      await(server.getWorkspaceService().executeCommand(new ExecuteCommandParams("nhd.no.such", List.of())));
      fail("an unknown command succeeded");
    } catch (ExecutionException e) {
      assertEquals(-32602, ((ResponseErrorException) e.getCause()).getResponseError().getCode());
    }

    // $/progress under the client's own work-done token ...
    ExecuteCommandParams sleep = new ExecuteCommandParams("nhd.test.sleep", List.of(Map.of("ms", 200)));
    sleep.setWorkDoneToken(Either.forLeft("lsp4j-sleep"));
    Object slept = await(server.getWorkspaceService().executeCommand(sleep));
    assertNotNull(slept);
    until("$/progress begin and end for lsp4j-sleep", c -> c.progressKinds("lsp4j-sleep").contains("begin") && c.progressKinds("lsp4j-sleep").contains("end"));
    // ... and under one the daemon creates (window/workDoneProgress/create), as with LSP4IJ's commands.
    int created = client.createdTokens.size();
    await(server.getWorkspaceService().executeCommand(new ExecuteCommandParams("nhd.test.sleep", List.of(Map.of("ms", 200)))));
    until("window/workDoneProgress/create", c -> c.createdTokens.size() > created);
    String token = client.createdTokens.get(client.createdTokens.size() - 1);
    until("$/progress end for the daemon's token", c -> c.progressKinds(token).contains("end"));
    System.out.println("ok: $/progress: client token " + client.progressKinds("lsp4j-sleep") + ", daemon token " + client.progressKinds(token));

    // nhd/status/didChange: another client (the CLI) connects to the shared daemon.
    int before = client.statusChanges.size();
    ProcessBuilder cliBuilder = new ProcessBuilder(setting("nhd.node", "NHD_NODE", null), setting("nhd.script", "NHD_SCRIPT", null), "status", "--json")
        .redirectErrorStream(true)
        .redirectOutput(home.resolve("cli.log").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    cliBuilder.environment().put("NHD_HOME", home.toString());
    cliBuilder.environment().put("NHD_TEST_HOOKS", "1");
    Process cli = cliBuilder.start();
    assertTrue(cli.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "nhd status finished");
    until("nhd/status/didChange after another client connected", c -> c.statusChanges.size() > before);
    System.out.println("ok: nhd/status/didChange x" + (client.statusChanges.size() - before));

    // shutdown and exit end this connection (and the forwarder); the shared daemon stays for others.
    await(server.shutdown());
    server.exit();
    assertTrue(process.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "the server process exits after exit");
    System.out.println("ok: shutdown/exit, process exit code " + process.exitValue());
    System.out.println("ok: LSP4J flow took " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
  }

  /** What a progress token went through (begin, report, end), from WorkDoneProgressNotification kinds. */
  static String kindOf(WorkDoneProgressNotification notification) {
    if (notification instanceof WorkDoneProgressBegin) return "begin";
    if (notification instanceof WorkDoneProgressEnd) return "end";
    return "report";
  }
}
