# The loadgate binary (reference target and harness) in a small image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# ECharts embedded as `make build` does (the echarts tag), so the reports
# the image writes (shards, merge) draw offline; the npm tarball is checked
# against its registry integrity (sha512).
ARG ECHARTS_VERSION=5.6.0
ARG ECHARTS_SHA512=a136d54ec5df2ae121c5fb47a8be71a6b80ba1cd24eee49c030b6bc8281617a84f6052d1c0e50788598718204a3f934f14d903568a4e89ec94a98187f056b790
RUN curl -fsSL -o /tmp/echarts.tgz https://registry.npmjs.org/echarts/-/echarts-${ECHARTS_VERSION}.tgz && \
	echo "${ECHARTS_SHA512}  /tmp/echarts.tgz" | sha512sum -c - && \
	tar -xzf /tmp/echarts.tgz -C /tmp package/dist/echarts.min.js && \
	cp /tmp/package/dist/echarts.min.js report/echarts.min.js
RUN CGO_ENABLED=0 go build -tags echarts -trimpath -o /loadgate ./cmd/loadgate

FROM gcr.io/distroless/static-debian12
COPY --from=build /loadgate /loadgate
EXPOSE 8080
ENTRYPOINT ["/loadgate"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
