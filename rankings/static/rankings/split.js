// The split page: what the rows hand out and the unallocated remainder, updated as figures are typed.
(function () {
  function number(text) {
    var value = parseFloat(String(text || "").replace(/,/g, ""));
    return isNaN(value) ? 0 : value;
  }
  function money(value) {
    return value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function total(figure) {
    var input = document.getElementById("id_total_" + figure);
    if (input) return input.value === "" ? null : number(input.value);
    var fixed = document.getElementById("split-fixed-total");
    var value = fixed ? fixed.getAttribute("data-total-" + figure) : "";
    return value === "" || value === null ? null : number(value);
  }
  function update() {
    ["r", "d"].forEach(function (prefix) {
      ["fai", "plan"].forEach(function (figure) {
        var given = 0;
        document.querySelectorAll("input[name^='" + prefix + "'][name$='_" + figure + "']").forEach(function (input) {
          given += number(input.value);
        });
        var sum = document.querySelector("[data-sum='" + prefix + "_" + figure + "']");
        var rest = document.querySelector("[data-rest='" + prefix + "_" + figure + "']");
        if (sum) sum.textContent = money(given);
        var whole = total(figure);
        if (rest) {
          rest.textContent = whole === null ? "—" : money(whole - given);
          rest.classList.toggle("text-danger", whole !== null && whole - given < 0);
        }
      });
    });
  }
  function start() {
    var form = document.querySelector("[data-testid=split-form]");
    if (!form) return;
    form.addEventListener("input", update);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
