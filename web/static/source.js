// The server-rendered source page: bring the highlighted span into view.
const mark = document.getElementById("cited");
if (mark) {
  mark.scrollIntoView({ block: "center" });
  mark.focus({ preventScroll: true });
}
