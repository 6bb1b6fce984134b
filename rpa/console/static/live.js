// Live regions: an element with data-live="URL" is replaced by each "update" event the
// server sends on that URL (server-sent events; the HTML is rendered and escaped there).
for (const region of document.querySelectorAll("[data-live]")) {
  const source = new EventSource(region.dataset.live);
  source.addEventListener("update", (event) => {
    region.innerHTML = event.data;
    region.dataset.updated = String(Number(region.dataset.updated || 0) + 1);
  });
  source.addEventListener("done", () => source.close());
}
