// 列映射: show a column's unit only when its field is an amount, and its year only for an annual plan column.
document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("[data-testid=mapping]");
  if (!table) return;
  const money = new Set(table.dataset.moneyFields.split(","));
  const show = (row) => {
    const field = row.querySelector("select[name^=field_]").value;
    row.querySelector("[data-unit]").classList.toggle("invisible", !money.has(field));
    row.querySelector("[data-year]").classList.toggle("invisible", field !== table.dataset.planField);
    row.classList.toggle("text-muted", field === "");
  };
  table.querySelectorAll("tbody tr").forEach((row) => {
    show(row);
    row.querySelector("select[name^=field_]").addEventListener("change", () => show(row));
  });
});
