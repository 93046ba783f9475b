/* An embed (a budget page, an explorer, an annex table alone in another site's iframe)
 * tells the page around it how tall it is, so that the iframe can follow its content:
 * the code offered to copy listens for these messages (checking where they come from).
 * Nothing here reads the host page; without this script the iframe keeps its height. */
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var TYPE = "ckanext-budget:embed-height";
  var last = -1;
  function post() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: TYPE, height: height, href: location.href }, "*");
    }
  }
  window.addEventListener("load", post);
  window.addEventListener("resize", post);
  if (window.ResizeObserver) {
    new ResizeObserver(post).observe(document.documentElement);
  }
  document.addEventListener("toggle", post, true); /* <details> opened or closed */
  post();
})();
