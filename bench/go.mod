module github.com/tend-init/tend/bench

go 1.26
