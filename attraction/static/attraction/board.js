// The leads board: drag a card to another column to move the lead (HTML5 drag and drop + an htmx POST).
// The server answers 204 and a "leadMoved" event when the move is made (the board reloads itself on it), or
// 400 with the move form and its field errors when the move needs data or breaks a rule: shown in a dialog,
// whose form posts to the same URL.
(function () {
  var dragged = null;

  function dialog() {
    var element = document.getElementById("move-dialog");
    return element && window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(element) : null;
  }

  function columnOf(element) {
    return element && element.closest ? element.closest(".board-column") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".lead-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.lead);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    document.querySelectorAll(".board-column.is-over").forEach(function (c) { c.classList.remove("is-over"); });
    dragged = null;
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column || column.dataset.stage === dragged.dataset.stage) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-over");
  });

  document.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-over");
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column || column.dataset.stage === dragged.dataset.stage) return;
    event.preventDefault();
    column.classList.remove("is-over");
    window.htmx.ajax("POST", dragged.dataset.moveUrl, {
      source: dragged,
      target: "#move-dialog-body",
      swap: "innerHTML",
      values: { to: column.dataset.stage }
    });
  });

  // A move that needs data or was refused comes back as 400 with the form: show it instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.detail.target && event.detail.target.id === "move-dialog-body") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "move-dialog-body") {
      var modal = dialog();
      if (modal) modal.show();
      var first = event.detail.target.querySelector(".is-invalid, input:not([type=hidden]), textarea");
      if (first) first.focus();
    }
  });

  document.body.addEventListener("leadMoved", function (event) {
    var modal = dialog();
    if (modal) modal.hide();
    var box = document.getElementById("board-messages");
    if (box && event.detail && event.detail.message) {
      box.innerHTML = "";
      var alert = document.createElement("div");
      alert.className = "alert alert-success py-2";
      alert.setAttribute("data-testid", "move-message");
      alert.textContent = event.detail.message;
      box.appendChild(alert);
    }
  });
})();
