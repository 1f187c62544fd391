package dev.nhd.lsp4j;

import com.google.gson.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.eclipse.lsp4j.MessageActionItem;
import org.eclipse.lsp4j.MessageParams;
import org.eclipse.lsp4j.ProgressParams;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.ShowMessageRequestParams;
import org.eclipse.lsp4j.WorkDoneProgressCreateParams;
import org.eclipse.lsp4j.jsonrpc.services.JsonNotification;
import org.eclipse.lsp4j.services.LanguageClient;

/**
 * A language client that records what the daemon sends, as LSP4IJ's client receives it: messages,
 * diagnostics, work-done progress (tokens it is asked to create and their $/progress), and nhd's
 * pushed state notifications.
 */
public class RecordingClient implements LanguageClient {
  final List<MessageParams> messages = new CopyOnWriteArrayList<>();
  final List<PublishDiagnosticsParams> diagnostics = new CopyOnWriteArrayList<>();
  final List<String> createdTokens = new CopyOnWriteArrayList<>();
  final List<ProgressParams> progress = new CopyOnWriteArrayList<>();
  final List<JsonObject> statusChanges = new CopyOnWriteArrayList<>();
  final List<JsonObject> devChanges = new CopyOnWriteArrayList<>();
  final List<JsonObject> syncChanges = new CopyOnWriteArrayList<>();

  @Override
  public void telemetryEvent(Object object) {}

  @Override
  public void publishDiagnostics(PublishDiagnosticsParams params) {
    diagnostics.add(params);
  }

  @Override
  public void showMessage(MessageParams params) {
    messages.add(params);
  }

  @Override
  public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams params) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void logMessage(MessageParams params) {
    messages.add(params);
  }

  @Override
  public CompletableFuture<Void> createProgress(WorkDoneProgressCreateParams params) {
    createdTokens.add(params.getToken().isLeft() ? params.getToken().getLeft() : String.valueOf(params.getToken().getRight()));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void notifyProgress(ProgressParams params) {
    progress.add(params);
  }

  /** The kinds (begin, report, end) reported under a token, in order. */
  List<String> progressKinds(String token) {
    return progress.stream()
        .filter(p -> (p.getToken().isLeft() ? p.getToken().getLeft() : String.valueOf(p.getToken().getRight())).equals(token))
        .filter(p -> p.getValue().isLeft())
        .map(p -> NhdLsp4jTest.kindOf(p.getValue().getLeft()))
        .collect(Collectors.toList());
  }

  @JsonNotification("nhd/status/didChange")
  public void statusDidChange(JsonObject params) {
    statusChanges.add(params);
  }

  @JsonNotification("nhd/dev/didChange")
  public void devDidChange(JsonObject params) {
    devChanges.add(params);
  }

  @JsonNotification("nhd/sync/didChange")
  public void syncDidChange(JsonObject params) {
    syncChanges.add(params);
  }
}
