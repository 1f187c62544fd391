package dev.nhd.lsp4j;

import com.google.gson.JsonObject;
import java.util.concurrent.CompletableFuture;
import org.eclipse.lsp4j.jsonrpc.services.JsonRequest;
import org.eclipse.lsp4j.services.LanguageServer;

/**
 * The language server as LSP4J sees it, plus a few of nhd's own requests (protocol/, see
 * docs/protocol.md). Params and results stay JSON: the test reads them as a client in another
 * language would, by the field names the protocol documents.
 */
public interface NhdServer extends LanguageServer {
  @JsonRequest("nhd/status")
  CompletableFuture<JsonObject> status(JsonObject params);

  @JsonRequest("nhd/config/validate")
  CompletableFuture<JsonObject> configValidate(JsonObject params);

  @JsonRequest("nhd/kube/contexts")
  CompletableFuture<JsonObject> kubeContexts(JsonObject params);
}
