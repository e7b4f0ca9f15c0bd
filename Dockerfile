# Build: docker build -t customers-api .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/customers-api ./cmd/customers-api

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/customers-api /customers-api
EXPOSE 8080
ENTRYPOINT ["/customers-api"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
