const ms = require("ms");
console.log("two days is", ms("2 days"), "ms");
