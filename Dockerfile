# The loadgate binary (reference target and harness) in a small image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /loadgate ./cmd/loadgate

FROM gcr.io/distroless/static-debian12
COPY --from=build /loadgate /loadgate
EXPOSE 8080
ENTRYPOINT ["/loadgate"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
