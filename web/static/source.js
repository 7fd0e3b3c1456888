// The server-rendered source page: bring the quoted sentence (or else the cited passage) into view;
// keyboard focus goes to the passage.
const passage = document.getElementById("cited");
const target = document.getElementById("cited-sentence") || passage;
if (target) target.scrollIntoView({ block: "center" });
if (passage) passage.focus({ preventScroll: true });
