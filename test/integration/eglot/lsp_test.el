;;; lsp_test.el --- Drives `nhd serve' from Emacs's eglot, as a user's configuration would.  -*- lexical-binding: t -*-

;; Run by test/integration/eglot.test.ts as `emacs --batch -l lsp_test.el', with `nhd' on PATH:
;; the configuration of docs/clients/emacs.md has eglot (Debian's elpa-eglot) start `nhd serve'
;; for a .nocalhost/config.yaml buffer; the script then waits for its diagnostics, asks for hover
;; and completion, runs a command and shuts the server down with eglot's own shutdown.  It prints
;; "ok: ..." lines; a failure prints "FAIL: ..." and exits 1.  NHD_EGLOT_MARKDOWN=1 defines
;; `gfm-view-mode', which is how eglot learns that markdown-mode is installed: it then advertises
;; markdown hovers.  NHD_EGLOT_REMOTE=1 starts `nhd serve --remote=auto' (the forwarder to the
;; shared daemon, as the docs recommend) instead of a daemon of its own.

(require 'eglot)
(require 'flymake)
(require 'cl-lib)

(defun nhd-test-fail (format-string &rest args)
  (princ (format "FAIL: %s\n" (apply #'format format-string args)))
  (kill-emacs 1))

(defun nhd-test-ok (format-string &rest args)
  (princ (format "ok: %s\n" (apply #'format format-string args))))

(defun nhd-test-until (predicate what &optional seconds)
  "Let Emacs read process output and run timers until PREDICATE holds; fail after SECONDS."
  (let ((deadline (+ (float-time) (or seconds 20))))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate) (nhd-test-fail "timed out waiting for %s" what))))

(defun nhd-test-goto (line column)
  "Move to 1-based LINE and 0-based COLUMN."
  (goto-char (point-min))
  (forward-line (1- line))
  (move-to-column column))

(defvar nhd-test-markdown (equal (getenv "NHD_EGLOT_MARKDOWN") "1"))
(defvar nhd-test-remote (equal (getenv "NHD_EGLOT_REMOTE") "1"))
(defvar nhd-test-mode (if nhd-test-remote "socket" "stdio") "What nhd/status says the daemon is.")
(when nhd-test-markdown
  ;; What markdown-mode provides; eglot only checks that it is defined (and renders hovers with it).
  (define-derived-mode gfm-view-mode text-mode "GFM-View"))

;; docs/clients/emacs.md's configuration (from prog-mode: yaml-mode is not installed here).
(define-derived-mode nhd-config-mode prog-mode "Nocalhost"
  "Major mode for .nocalhost/config.yaml, served by nhd.")
(add-to-list 'auto-mode-alist '("/\\.nocalhost/config\\.ya?ml\\'" . nhd-config-mode))
(add-to-list 'eglot-server-programs
             `(nhd-config-mode . ("nhd" "serve" ,@(when nhd-test-remote '("--remote=auto")))))
(add-hook 'nhd-config-mode-hook #'eglot-ensure)

;; Every publishDiagnostics eglot handles for our file, as it arrives.
(defvar nhd-test-published 0)
(defvar nhd-test-file (getenv "NHD_CONFIG_FILE"))
(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest params)
              (when (and (eq method 'textDocument/publishDiagnostics)
                         (equal (eglot--uri-to-path (plist-get params :uri)) nhd-test-file))
                (cl-incf nhd-test-published))))

;; eglot-shutdown sends shutdown and exit, then jsonrpc-shutdown deletes the process at once
;; (Emacs 28's jsonrpc.el); wait for the server to exit by itself first, to see its exit code.
(defvar nhd-test-exit-status nil)
(advice-add 'jsonrpc-shutdown :before
            (lambda (connection &rest _)
              (let ((process (jsonrpc--process connection)))
                (nhd-test-until (lambda () (not (process-live-p process))) "nhd to exit after exit" 20)
                (setq nhd-test-exit-status (process-exit-status process)))))

(condition-case err
    (let ((eglot-sync-connect 30)
          (plain (not nhd-test-markdown))
          server)
      (find-file nhd-test-file)
      (unless (eq major-mode 'nhd-config-mode) (nhd-test-fail "the config file opened in %s" major-mode))
      ;; eglot-ensure connects from post-command-hook, which the command loop would run now.
      (run-hooks 'post-command-hook)
      (nhd-test-until #'eglot-managed-p "eglot to manage the buffer")
      (setq server (eglot-current-server))
      (nhd-test-ok "connected to %s" (plist-get (eglot--server-info server) :name))
      (let ((sent (plist-get (plist-get (eglot-client-capabilities server) :textDocument) :hover)))
        (nhd-test-ok "eglot advertises hover formats %S" (plist-get sent :contentFormat)))

      ;; Diagnostics: published once for the open, shown by flymake at the broken port.
      (nhd-test-until (lambda () (> nhd-test-published 0)) "diagnostics")
      ;; A round trip: everything nhd sent for the didOpen has been handled when its answer is here.
      (let ((status (jsonrpc-request server :nhd/status nil)))
        (unless (equal (plist-get status :mode) nhd-test-mode) (nhd-test-fail "nhd/status with null params: %S" status)))
      (unless (= nhd-test-published 1) (nhd-test-fail "diagnostics published %d times for one open" nhd-test-published))
      (nhd-test-ok "diagnostics published once")
      (flymake-start)
      (nhd-test-until (lambda () (flymake-diagnostics)) "flymake to show the diagnostics")
      (let* ((d (car (flymake-diagnostics)))
             (line (line-number-at-pos (flymake-diagnostic-beg d)))
             (column (save-excursion (goto-char (flymake-diagnostic-beg d)) (current-column))))
        (unless (and (= line 8) (= column 10) (string-match-p "80x80" (flymake-diagnostic-text d)))
          (nhd-test-fail "diagnostic at %d:%d: %s" line column (flymake-diagnostic-text d)))
        (nhd-test-ok "flymake diagnostic %d:%d %s" line column (flymake-diagnostic-text d)))

      ;; Hover through eglot's eldoc function, which renders it as the format says.
      (nhd-test-goto 7 8)
      (let ((raw (jsonrpc-request server :textDocument/hover (eglot--TextDocumentPositionParams)))
            shown)
        (let ((kind (plist-get (plist-get raw :contents) :kind)))
          (unless (equal kind (if plain "plaintext" "markdown")) (nhd-test-fail "hover kind %S" kind))
          (nhd-test-ok "hover kind %s" kind))
        (eglot-hover-eldoc-function (lambda (info &rest _) (setq shown (or info ""))))
        (nhd-test-until (lambda () shown) "eglot's hover")
        (unless (string-match-p "portForward" shown) (nhd-test-fail "hover shows %S" shown))
        (when (and plain (string-match-p "[`*]" shown)) (nhd-test-fail "plain text hover has markdown: %S" shown))
        (nhd-test-ok "hover shows %s" (car (split-string shown "\n"))))

      ;; Completion documentation: eglot 1.9 names no documentationFormat, so plain text.
      (nhd-test-goto 6 6)
      (let* ((items (jsonrpc-request server :textDocument/completion (eglot--TextDocumentPositionParams)))
             (item (seq-find (lambda (i) (equal (plist-get i :label) "workDir")) items)))
        (unless item (nhd-test-fail "no workDir completion in %S" items))
        (let ((documentation (plist-get item :documentation)))
          (unless (equal (plist-get documentation :kind) "plaintext") (nhd-test-fail "completion documentation %S" documentation)))
        (nhd-test-ok "completion documentation plaintext"))

      (let ((status (eglot-execute-command server "nhd.status" [])))
        (nhd-test-ok "nhd.status through workspace/executeCommand, mode %s" (plist-get status :mode)))

      (eglot-shutdown server)
      (unless (eql nhd-test-exit-status 0) (nhd-test-fail "nhd exited with %S after shutdown and exit" nhd-test-exit-status))
      (nhd-test-ok "nhd exited 0 on exit"))
  (error (nhd-test-fail "%s" (error-message-string err))))
(kill-emacs 0)
