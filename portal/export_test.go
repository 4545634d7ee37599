package portal

var AcceptsGzip = acceptsGzip
