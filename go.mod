module github.com/concord-cert/concord

go 1.26
